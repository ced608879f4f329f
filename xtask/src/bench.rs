//! `cargo xtask bench`: every budget of DESIGN.md, measured side by side with its peer.
pub(crate) fn run(_rows: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("bench rows are added with their issues")
}
