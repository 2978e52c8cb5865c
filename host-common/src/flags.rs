//! Command-line flags as the host and the pre-initialiser take them:
//! `--flag value` and `--flag=value` both work; a value given inline to a
//! flag that takes none is an error rather than silently dropped.

/// Walks the arguments; after [`Flags::next_arg`] returned a flag,
/// [`Flags::value`] takes its value.
pub struct Flags {
    args: std::vec::IntoIter<String>,
    current: String,
    inline: Option<String>,
}

impl Flags {
    pub fn new(args: impl IntoIterator<Item = String>) -> Self {
        Self {
            args: args.into_iter().collect::<Vec<_>>().into_iter(),
            current: String::new(),
            inline: None,
        }
    }

    /// The next flag or positional argument; `--flag=value` gives `--flag`.
    pub fn next_arg(&mut self) -> Result<Option<String>, String> {
        if self.inline.is_some() {
            return Err(format!("{} takes no value", self.current));
        }
        let Some(arg) = self.args.next() else {
            return Ok(None);
        };
        self.current = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.inline = Some(value.to_string());
                flag.to_string()
            }
            _ => arg,
        };
        Ok(Some(self.current.clone()))
    }

    /// The value of the flag [`Flags::next_arg`] just returned.
    pub fn value(&mut self) -> Result<String, String> {
        match self.inline.take() {
            Some(v) => Ok(v),
            None => self
                .args
                .next()
                .ok_or_else(|| format!("{} needs a value", self.current)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Flags;

    fn flags(args: &[&str]) -> Flags {
        Flags::new(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn separate_and_inline_values() {
        let mut f = flags(&["--a", "1", "--b=2", "-c", "x=y", "file"]);
        assert_eq!(f.next_arg().unwrap().as_deref(), Some("--a"));
        assert_eq!(f.value().unwrap(), "1");
        assert_eq!(f.next_arg().unwrap().as_deref(), Some("--b"));
        assert_eq!(f.value().unwrap(), "2");
        assert_eq!(f.next_arg().unwrap().as_deref(), Some("-c"));
        assert_eq!(f.value().unwrap(), "x=y");
        assert_eq!(f.next_arg().unwrap().as_deref(), Some("file"));
        assert_eq!(f.next_arg().unwrap(), None);
    }

    #[test]
    fn missing_value() {
        let mut f = flags(&["--stdlib"]);
        f.next_arg().unwrap();
        assert_eq!(f.value().unwrap_err(), "--stdlib needs a value");
    }

    #[test]
    fn unused_inline_value() {
        let mut f = flags(&["--session=yes", "-c", "1"]);
        assert_eq!(f.next_arg().unwrap().as_deref(), Some("--session"));
        assert_eq!(f.next_arg().unwrap_err(), "--session takes no value");
    }

    #[test]
    fn empty_inline_value_is_a_value() {
        let mut f = flags(&["--import="]);
        f.next_arg().unwrap();
        assert_eq!(f.value().unwrap(), "");
        assert_eq!(f.next_arg().unwrap(), None);
    }
}
