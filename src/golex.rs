//! Just enough of a Go lexer to rename and rewrite test files safely
//! (`inject`), and to read a leaked goroutine's select from its source
//! (`analyse::diagnose`): identifiers, punctuation, literals; comments and
//! white space skipped.

/// A token and its byte offset.
#[derive(Debug, Clone, Copy)]
pub struct Tok<'a> {
    pub text: &'a str,
    pub start: usize,
}

impl Tok<'_> {
    /// The offset just past the token.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Whether it is an identifier (or keyword).
    pub fn is_ident(&self) -> bool {
        is_ident(self.text)
    }
}

/// Whether a token's text is an identifier (or keyword).
pub fn is_ident(text: &str) -> bool {
    text.bytes()
        .next()
        .is_some_and(|c| c == b'_' || c.is_ascii_alphabetic() || c >= 0x80)
}

/// The tokens of `src`, in order.
pub fn tokens(src: &str) -> Vec<Tok<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&b[i + 2..], b"*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'"' | b'\'' => {
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push(Tok {
                    text: &src[start..i],
                    start,
                });
            }
            b'`' => {
                i = memchr::memchr(b'`', &b[i + 1..]).map_or(b.len(), |n| i + 1 + n + 1);
                out.push(Tok {
                    text: &src[start..i],
                    start,
                });
            }
            c if c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 => {
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
                    i += 1;
                }
                out.push(Tok {
                    text: &src[start..i],
                    start,
                });
            }
            _ => {
                i += 1;
                out.push(Tok {
                    text: &src[start..i],
                    start,
                });
            }
        }
    }
    out
}

/// How a file imports a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Import {
    /// Under a name (its own, or an alias).
    Named(String),
    /// `import . "path"`: its names are used unqualified.
    Dot,
}

/// How the file imports `path`, if it does (not for `_` imports).
pub fn import_of(toks: &[Tok<'_>], path: &str) -> Option<Import> {
    let quoted = format!("\"{path}\"");
    let raw = format!("`{path}`");
    let default = path.rsplit('/').next().unwrap_or(path);
    let mut in_import = false;
    let mut paren = false;
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "import" => {
                in_import = true;
                paren = toks.get(i + 1).is_some_and(|n| n.text == "(");
            }
            ")" if in_import && paren => in_import = false,
            "func" | "var" | "const" | "type" => in_import = false,
            s if in_import && (s == quoted || s == raw) => {
                let prev = toks[i - 1];
                return match prev.text {
                    "_" => None,
                    "." => Some(Import::Dot),
                    _ if prev.text != "import" && prev.is_ident() => Some(Import::Named(prev.text.to_string())),
                    _ => Some(Import::Named(default.to_string())),
                };
            }
            s if in_import && !paren && s.starts_with('"') => in_import = false,
            _ => {}
        }
    }
    None
}

/// The index of the token closing the bracket at `open` (`(`, `{` or `[`).
pub fn matching(toks: &[Tok<'_>], open: usize) -> Option<usize> {
    let (o, c) = match toks.get(open)?.text {
        "(" => ("(", ")"),
        "{" => ("{", "}"),
        "[" => ("[", "]"),
        _ => return None,
    };
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.text == o {
            depth += 1;
        } else if t.text == c {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}
