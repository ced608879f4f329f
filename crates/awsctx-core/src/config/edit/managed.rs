//! Managed blocks: the profile sections between `# BEGIN awsctx managed: ID` and
//! `# END awsctx managed: ID` that `populate` generates. The block's owner owns the section
//! headers and the keys it writes, nothing else: every other line of a section (a key added
//! with `aws configure set`, a comment, a blank line) is the user's and stays with its
//! section, byte for byte.
//!
//! INI sections end at the next header, not at a comment, so two kinds of lines sit on the
//! "wrong" side of a marker:
//! - lines between `BEGIN` and the block's first header belong to the section above the block
//!   (the AWS CLI puts a key there when that section is the one above: its writer takes the
//!   `:` in the marker for a property); they stay where they are, which keeps them there;
//! - property lines after `END`, up to the next header, belong to the block's last section
//!   (the AWS CLI appends a key of the last generated profile there, for the same reason);
//!   they move into that section, so they go wherever it goes and never fall to another
//!   profile.

use super::{
    ConfigDocument, EditError, Ending, Line, LineKind, SectionName, check_block_id, check_key,
    check_value, classify, grammar, markers, parse_property_line,
};

/// A profile that a managed block should hold, as its owner wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedProfile {
    pub name: String,
    /// The profile of the block whose lines it keeps: the same name, or the name it had
    /// before a rename. `None` (or a name the block does not have) starts it afresh.
    pub from: Option<String>,
    /// What the owner writes: each key rewritten in place where the profile sets it (left
    /// alone when it already has the value), added after its last property otherwise.
    pub keys: Vec<(String, String)>,
}

impl ManagedProfile {
    fn section(&self) -> SectionName {
        SectionName::Profile(self.name.clone())
    }

    /// Its header and keys, as lines.
    fn render(&self) -> Vec<String> {
        let mut texts = vec![self.section().header()];
        texts.extend(self.keys.iter().map(|(k, v)| property(k, v)));
        texts
    }

    fn check(&self) -> Result<(), EditError> {
        self.section().check()?;
        for (key, value) in &self.keys {
            check_key(key)?;
            check_value(key, value)?;
        }
        if let Some(from) = &self.from {
            SectionName::Profile(from.clone()).check()?;
        }
        Ok(())
    }
}

/// One section of a block: its header line and the lines up to the next header.
#[derive(Debug, Clone)]
struct Chunk {
    lines: Vec<Line>,
}

impl Chunk {
    /// Whether the header names profile `name` (for `default`, either form).
    fn is_profile(&self, name: &str) -> bool {
        match classify(&self.lines[0].text, self.lines[0].ending) {
            LineKind::Header(Some(pair)) => SectionName::Profile(name.to_owned()).matches(&pair),
            _ => false,
        }
    }

    /// Whether it is a profile section at all (others are never removed).
    fn is_any_profile(&self) -> bool {
        match classify(&self.lines[0].text, self.lines[0].ending) {
            LineKind::Header(Some(pair)) => {
                pair.prefix == Some("profile") || (pair.prefix.is_none() && pair.name == "default")
            }
            _ => false,
        }
    }

    /// The blank lines at its end: the gap before the next section.
    fn trailing_blanks(&self) -> usize {
        self.lines.iter().rev().take_while(|l| is_blank(l)).count()
    }

    /// Put `lines` after its last line that is not blank.
    fn append_lines(&mut self, lines: Vec<Line>) {
        let at = self.lines.len() - self.trailing_blanks();
        self.lines.splice(at..at, lines);
    }
}

fn is_blank(line: &Line) -> bool {
    grammar::trim_ws(line.text.trim_end_matches('\r')).is_empty()
}

/// A block as found: where its markers are, and what lies between and after them.
struct Block {
    begin: usize,
    end: usize,
    /// Lines before the first header (they belong to the section above the block).
    leading: Vec<Line>,
    chunks: Vec<Chunk>,
    /// Indices of the property lines after `END` that belong to the block's last section.
    strays: Vec<usize>,
}

impl ConfigDocument {
    /// The sections of managed block `id` as the SDKs read them, if the block exists: its
    /// lines from the first section header on, then the property lines after its `END` marker
    /// that belong to its last section.
    pub fn managed_block(&self, id: &str) -> Result<Option<String>, EditError> {
        let Some(block) = self.read_block(id)? else { return Ok(None) };
        let mut out = String::new();
        for line in block.chunks.iter().flat_map(|c| &c.lines) {
            out.push_str(&line.text);
            out.push_str(line.ending.as_str());
        }
        if !block.chunks.is_empty() {
            for &i in &block.strays {
                out.push_str(&self.lines[i].text);
                out.push('\n');
            }
        }
        Ok(Some(out))
    }

    /// Make managed block `id` hold `profiles`, in that order, one blank line apart. A profile
    /// continuing one of the block (`from`) keeps every line of it but the ones its `keys`
    /// rewrite; it is renamed when its name changed. Profile sections of the block that no
    /// profile continues are removed with all their lines (the property lines after `END`
    /// that belong to them included); any other section in the block stays, after the
    /// profiles. A missing block is appended at the end of the file, after a blank line; a
    /// block left without a section loses its markers (the blank line above it stays: it may
    /// be the user's).
    pub fn set_managed_block(
        &mut self,
        id: &str,
        profiles: &[ManagedProfile],
    ) -> Result<(), EditError> {
        check_profiles(id, profiles)?;
        let ending = self.dominant_ending();
        let Some(block) = self.read_block(id)? else {
            if !profiles.is_empty() {
                let (begin, end) = markers(id);
                let mut texts = Vec::with_capacity(profiles.len() * 6 + 3);
                // Set off from what is above it, as its sections are from each other.
                if self.lines.last().is_some_and(|line| !is_blank(line)) {
                    texts.push(String::new());
                }
                texts.push(begin);
                for (i, profile) in profiles.iter().enumerate() {
                    if i > 0 {
                        texts.push(String::new());
                    }
                    texts.extend(profile.render());
                }
                texts.push(end);
                self.append(texts);
            }
            return Ok(());
        };
        let Block { begin, end, mut leading, mut chunks, strays } = block;

        // The lines after `END` that belong to the block's last section join it. With no
        // section in the block they belong to the one above it: if the block gets sections,
        // they go to the top of the block, which keeps them there.
        let moved: Vec<Line> = strays
            .iter()
            .map(|&i| {
                let mut line = self.lines[i].clone();
                if line.ending == Ending::None {
                    line.ending = ending;
                }
                line
            })
            .collect();
        let move_strays = if let Some(last) = chunks.last_mut() {
            last.append_lines(moved);
            true
        } else if profiles.is_empty() {
            false
        } else {
            leading.extend(moved);
            true
        };

        let sections = arrange(chunks, profiles, ending);
        let mut inner = leading;
        let count = sections.len();
        for (i, mut lines) in sections.into_iter().enumerate() {
            let blanks = lines.iter().rev().take_while(|l| is_blank(l)).count();
            if i + 1 == count {
                lines.truncate(lines.len() - blanks);
            } else if blanks == 0 {
                lines.push(Line { text: String::new(), ending });
            }
            inner.extend(lines);
        }

        let mut out = Vec::with_capacity(self.lines.len() + inner.len());
        out.extend_from_slice(&self.lines[..begin]);
        if count == 0 {
            out.extend(inner);
        } else {
            out.push(self.lines[begin].clone());
            out.extend(inner);
            out.push(self.lines[end].clone());
        }
        for (i, line) in self.lines.iter().enumerate().skip(end + 1) {
            if !(move_strays && strays.binary_search(&i).is_ok()) {
                out.push(line.clone());
            }
        }
        self.lines = out;
        Ok(())
    }

    fn read_block(&self, id: &str) -> Result<Option<Block>, EditError> {
        let Some((begin, end)) = self.find_block(id)? else { return Ok(None) };
        let mut leading = Vec::new();
        let mut chunks: Vec<Chunk> = Vec::new();
        for line in &self.lines[begin + 1..end] {
            if matches!(classify(&line.text, line.ending), LineKind::Header(_)) {
                chunks.push(Chunk { lines: vec![line.clone()] });
            } else if let Some(chunk) = chunks.last_mut() {
                chunk.lines.push(line.clone());
            } else {
                leading.push(line.clone());
            }
        }
        let mut strays = Vec::new();
        for (i, line) in self.lines.iter().enumerate().skip(end + 1) {
            match classify(&line.text, line.ending) {
                LineKind::Header(_) => break,
                LineKind::Property(_) | LineKind::Continuation => strays.push(i),
                LineKind::Ignored => {}
            }
        }
        Ok(Some(Block { begin, end, leading, chunks, strays }))
    }
}

/// The block's id, and names, `from`s, keys and values that can be written, none given twice.
fn check_profiles(id: &str, profiles: &[ManagedProfile]) -> Result<(), EditError> {
    check_block_id(id)?;
    let mut names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    let mut froms: Vec<&str> = profiles.iter().filter_map(|p| p.from.as_deref()).collect();
    for list in [&mut names, &mut froms] {
        list.sort_unstable();
        if let Some(pair) = list.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(EditError::ManagedProfileTwice {
                id: id.to_owned(),
                name: pair[0].to_owned(),
            });
        }
    }
    profiles.iter().try_for_each(ManagedProfile::check)
}

/// The block's sections in their new order: `profiles` (each continuing its old section's
/// lines, or new), then the sections that are not profiles.
fn arrange(mut chunks: Vec<Chunk>, profiles: &[ManagedProfile], ending: Ending) -> Vec<Vec<Line>> {
    let mut taken = vec![false; chunks.len()];
    let mut sections: Vec<Vec<Line>> = Vec::with_capacity(profiles.len() + 1);
    for profile in profiles {
        let group: Vec<usize> = match &profile.from {
            Some(from) => {
                (0..chunks.len()).filter(|&i| !taken[i] && chunks[i].is_profile(from)).collect()
            }
            None => Vec::new(),
        };
        if group.is_empty() {
            sections.push(profile.render().into_iter().map(|text| Line { text, ending }).collect());
            continue;
        }
        let mut lines = Vec::new();
        for &i in &group {
            taken[i] = true;
            let renamed = !chunks[i].is_profile(&profile.name);
            let mut chunk = std::mem::take(&mut chunks[i].lines);
            if renamed {
                chunk[0].text = profile.section().header();
            }
            lines.extend(chunk);
        }
        for (key, value) in &profile.keys {
            set_in(&mut lines, key, value, ending);
        }
        sections.push(lines);
    }
    for (i, chunk) in chunks.into_iter().enumerate() {
        if !taken[i] && !chunk.is_any_profile() {
            sections.push(chunk.lines);
        }
    }
    sections
}

fn property(key: &str, value: &str) -> String {
    if value.is_empty() { format!("{key} =") } else { format!("{key} = {value}") }
}

/// Set `key = value` in a section's lines: the last line setting `key` is rewritten (with its
/// continuation lines) unless it already says `value`; otherwise a line goes after the last
/// property.
fn set_in(lines: &mut Vec<Line>, key: &str, value: &str, ending: Ending) {
    let wanted = key.to_ascii_lowercase();
    let mut last_property = 0;
    let mut found: Option<(usize, usize)> = None;
    let mut current: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        match classify(&line.text, line.ending) {
            LineKind::Header(_) => current = None,
            LineKind::Property(k) => {
                last_property = i;
                current = (k.as_deref() == Some(wanted.as_str())).then_some(i);
                if let Some(start) = current {
                    found = Some((start, i));
                }
            }
            LineKind::Continuation => {
                last_property = i;
                if let (Some(start), Some((found_start, _))) = (current, found)
                    && start == found_start
                {
                    found = Some((start, i));
                }
            }
            LineKind::Ignored => {}
        }
    }
    let text = property(key, value);
    match found {
        Some((start, end)) => {
            let same = start == end
                && parse_property_line(&lines[start].text).is_ok_and(|(_, v)| v == value);
            if !same {
                let ending = lines[end].ending;
                lines.splice(start..=end, [Line { text, ending }]);
            }
        }
        None => lines.insert(last_property + 1, Line { text, ending }),
    }
}
