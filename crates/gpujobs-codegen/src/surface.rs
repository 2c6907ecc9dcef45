//! The *surface* of a generated client: a short, sorted, diff-friendly listing
//! of its operations and types, read back from the generated code itself.
//!
//! Reviewers read this (pinned by insta snapshots) instead of thousands of
//! lines of generated Rust.
//!
//! ```text
//! op get_job GET /gpus/v2/jobs/{job_id} (job_id: &str) -> GetJobResponse ! () retry=safe
//! type GetJobResponse {
//!   created_at: Option<i64>
//!   ...
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use quote::ToTokens;

/// One generated endpoint: a method of the generated `Client`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Method name on the generated `Client`.
    pub name: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Parameters as `name: Type`.
    pub params: Vec<String>,
    /// Success body type.
    pub ok: String,
    /// Error body type.
    pub err: String,
    /// Whether it may be sent again (`safe`, `never`, `key:FIELD`; see
    /// [`crate::retry`]), from the client's `ENDPOINTS` table.
    pub retry: String,
}

impl Endpoint {
    /// `METHOD /path (params) -> Ok ! Err retry=RULE`.
    pub fn signature(&self) -> String {
        let retry = match self.retry.is_empty() {
            true => String::new(),
            false => format!(" retry={}", self.retry),
        };
        format!(
            "{} {} ({}) -> {} ! {}{retry}",
            self.method,
            self.path,
            self.params.join(", "),
            self.ok,
            self.err
        )
    }
}

/// One generated type: a struct's fields, an enum's variants, or a newtype's inner type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDef {
    /// `struct`, `enum` or `newtype`.
    pub kind: &'static str,
    /// Member name → its Rust type (fields; `""` for unit variants; `0` for a newtype).
    pub members: BTreeMap<String, String>,
}

/// The surface of one generated client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Surface {
    /// Endpoints by method name.
    pub operations: BTreeMap<String, Endpoint>,
    /// Types by name.
    pub types: BTreeMap<String, TypeDef>,
}

impl Surface {
    /// Reads the surface from generated source.
    pub fn from_source(source: &str) -> Result<Self, String> {
        let file =
            syn::parse_file(source).map_err(|e| format!("generated code does not parse: {e}"))?;
        let mut surface = Surface::default();
        for item in &file.items {
            match item {
                syn::Item::Impl(block) if is_client(&block.self_ty) && block.trait_.is_none() => {
                    for item in &block.items {
                        if let syn::ImplItem::Fn(f) = item
                            && let Some(op) = operation(f)
                        {
                            surface.operations.insert(op.name.clone(), op);
                        }
                    }
                }
                syn::Item::Const(c) if c.ident == "ENDPOINTS" => {
                    for (id, retry) in endpoint_rows(&c.expr) {
                        if let Some(op) = surface.operations.get_mut(&id) {
                            op.retry = retry;
                        }
                    }
                }
                syn::Item::Mod(m) if m.ident == "types" => {
                    for item in m.content.iter().flat_map(|(_, items)| items) {
                        if let Some((name, def)) = type_def(item) {
                            surface.types.insert(name, def);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(surface)
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in self.operations.values() {
            writeln!(f, "op {} {}", op.name, op.signature())?;
        }
        for (name, def) in &self.types {
            writeln!(f, "\n{} {name} {{", def.kind)?;
            for (member, ty) in &def.members {
                match ty.is_empty() {
                    true => writeln!(f, "  {member}")?,
                    false => writeln!(f, "  {member}: {ty}")?,
                }
            }
            writeln!(f, "}}")?;
        }
        Ok(())
    }
}

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

/// `(id, retry)` of each row of an `ENDPOINTS` table: `&[Endpoint { id: "x", …, retry: Retry::Safe }, …]`.
fn endpoint_rows(expr: &syn::Expr) -> Vec<(String, String)> {
    let syn::Expr::Reference(reference) = expr else {
        return Vec::new();
    };
    let syn::Expr::Array(rows) = &*reference.expr else {
        return Vec::new();
    };
    rows.elems
        .iter()
        .filter_map(|row| {
            let syn::Expr::Struct(row) = row else {
                return None;
            };
            let field = |name: &str| {
                row.fields
                    .iter()
                    .find(|f| matches!(&f.member, syn::Member::Named(n) if n == name))
            };
            let id = match &field("id")?.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => s.value(),
                _ => return None,
            };
            let retry = match &field("retry")?.expr {
                syn::Expr::Call(call) => match call.args.first() {
                    Some(syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    })) => {
                        format!("key:{}", s.value())
                    }
                    _ => return None,
                },
                syn::Expr::Path(path) => path
                    .path
                    .segments
                    .last()?
                    .ident
                    .to_string()
                    .to_ascii_lowercase(),
                _ => return None,
            };
            Some((id, retry))
        })
        .collect()
}

fn operation(f: &syn::ImplItemFn) -> Option<Endpoint> {
    // progenitor documents each operation as "Sends a `GET` request to `/path`".
    let doc = docs(&f.attrs);
    let rest = doc.split("Sends a `").nth(1)?;
    let (method, rest) = rest.split_once("` request to `")?;
    let (path, _) = rest.split_once('`')?;
    let params = f
        .sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            syn::FnArg::Typed(t) => Some(format!("{}: {}", tokens(&t.pat), tokens(&t.ty))),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    // Result<ResponseValue<Ok>, Error<Err>>
    let (ok, err) = match &f.sig.output {
        syn::ReturnType::Type(_, ty) => {
            let result = type_args(ty);
            let inner = |i: usize| {
                result
                    .get(i)
                    .and_then(|t| type_args(t).first().copied())
                    .map(tokens)
            };
            (inner(0).unwrap_or_default(), inner(1).unwrap_or_default())
        }
        syn::ReturnType::Default => Default::default(),
    };
    Some(Endpoint {
        name: f.sig.ident.to_string(),
        method: method.to_owned(),
        path: path.to_owned(),
        params,
        ok,
        err,
        retry: String::new(),
    })
}

fn type_def(item: &syn::Item) -> Option<(String, TypeDef)> {
    match item {
        syn::Item::Struct(s) => {
            let (kind, members) = match &s.fields {
                syn::Fields::Named(fields) => {
                    let members = fields
                        .named
                        .iter()
                        .map(|field| {
                            let name = field
                                .ident
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default();
                            let name = match serde_rename(&field.attrs) {
                                Some(wire) if wire != name => format!("{name} \"{wire}\""),
                                _ => name,
                            };
                            (name, tokens(&field.ty))
                        })
                        .collect();
                    ("struct", members)
                }
                syn::Fields::Unnamed(fields) => {
                    let members = fields
                        .unnamed
                        .iter()
                        .enumerate()
                        .map(|(i, field)| (i.to_string(), tokens(&field.ty)))
                        .collect();
                    ("newtype", members)
                }
                syn::Fields::Unit => ("struct", BTreeMap::new()),
            };
            Some((s.ident.to_string(), TypeDef { kind, members }))
        }
        syn::Item::Enum(e) => {
            let members = e
                .variants
                .iter()
                .map(|v| {
                    let ty = match &v.fields {
                        syn::Fields::Unit => String::new(),
                        fields => tokens(fields),
                    };
                    (v.ident.to_string(), ty)
                })
                .collect();
            Some((
                e.ident.to_string(),
                TypeDef {
                    kind: "enum",
                    members,
                },
            ))
        }
        _ => None,
    }
}

fn docs(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let serde = attrs.iter().filter(|a| a.path().is_ident("serde"));
    serde
        .map(|a| a.meta.to_token_stream().to_string())
        .find_map(|text| {
            let (_, rest) = text.split_once("rename = \"")?;
            Some(rest.split('"').next()?.to_owned())
        })
}

/// Tokens as compact Rust: `& 'a str` → `&str`, `types :: Foo` → `Foo`.
fn tokens(t: &impl ToTokens) -> String {
    let text = t.to_token_stream().to_string();
    let mut out = text
        .replace("'a ", "")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace("types::", "")
        .replace("super::", "")
        .replace("::std::collections::", "")
        .replace("::std::string::", "")
        .replace("::std::vec::", "")
        .replace("::std::option::", "")
        .replace("::serde_json::", "serde_json::")
        .replace("::gpujobs_runtime::", "gpujobs_runtime::");
    for (from, to) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        (",>", ">"),
        (",)", ")"),
        (",", ", "),
        (",  ", ", "),
        ("& ", "&"),
        ("( ", "("),
        (" )", ")"),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// The type arguments of a path type's last segment: `Result<A, B>` → `[A, B]`.
fn type_args(ty: &syn::Type) -> Vec<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return Vec::new();
    };
    let Some(syn::PathArguments::AngleBracketed(args)) =
        path.path.segments.last().map(|s| &s.arguments)
    else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect()
}
