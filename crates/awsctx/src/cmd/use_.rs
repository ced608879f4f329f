//! switch this shell to a profile, switch back, unset, print the current one, the picker.
