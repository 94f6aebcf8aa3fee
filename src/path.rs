//! JSON paths for error messages, built lazily: a path is a chain of borrowed segments on the
//! stack and becomes a string only when an error is reported.

use std::fmt;

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root(&'a str),
    Key(&'a str),
    Index(usize),
}

/// Where a value sits in the input, e.g. `Records[2].Sns.Message.detail.requestParameters`.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    /// A root; `prefix` is where the document itself came from ("" for the input).
    pub fn root(prefix: &'a str) -> Self {
        Path { parent: None, seg: Seg::Root(prefix) }
    }
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Key(key) }
    }
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Index(i) }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            write!(f, "{p}")?;
        }
        match self.seg {
            Seg::Root(prefix) => f.write_str(prefix),
            Seg::Key(k) => {
                let root_empty = matches!(self.parent, Some(Path { parent: None, seg: Seg::Root("") }));
                if root_empty {
                    f.write_str(k)
                } else {
                    write!(f, ".{k}")
                }
            }
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_keys_and_indexes() {
        let root = Path::root("");
        let d = root.key("detail");
        let i = d.key("items");
        let n = i.index(3);
        assert_eq!(n.to_string(), "detail.items[3]");
        let r = Path::root("Records[0].Sns.Message");
        let k = r.key("detail");
        assert_eq!(k.to_string(), "Records[0].Sns.Message.detail");
        let top = Path::root("");
        assert_eq!(top.index(2).to_string(), "[2]");
    }
}
