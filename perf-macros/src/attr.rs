//! Parsing: the attribute's options and the function it is put on.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, LitStr, Path, Signature, Token, Visibility};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(cpu);
}

/// The options of `#[profile(...)]`.
#[derive(Default)]
pub(crate) struct ProfileArgs {
    /// `name = "..."`: the name the function is recorded under.
    pub(crate) name: Option<LitStr>,
    /// `cpu`: also measure thread CPU time per call.
    pub(crate) cpu: bool,
    /// `crate = path`: where perf_core is, for crates that re-export it.
    pub(crate) krate: Option<Path>,
}

impl Parse for ProfileArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = ProfileArgs::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::name) {
                let key = input.parse::<kw::name>()?;
                input.parse::<Token![=]>()?;
                let value: LitStr = input.parse()?;
                if args.name.is_some() {
                    return Err(syn::Error::new(key.span, "`name` is given twice"));
                }
                if value.value().is_empty() {
                    return Err(syn::Error::new(value.span(), "the name must not be empty"));
                }
                args.name = Some(value);
            } else if lookahead.peek(kw::cpu) {
                let key = input.parse::<kw::cpu>()?;
                if args.cpu {
                    return Err(syn::Error::new(key.span, "`cpu` is given twice"));
                }
                args.cpu = true;
            } else if lookahead.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = Path::parse_mod_style(input)?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is given twice"));
                }
                args.krate = Some(path);
            } else {
                return Err(lookahead.error());
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// A function whose body is kept as raw tokens, so that a syntax error in the
/// user's body is reported by rustc at the user's code, not by us.
pub(crate) struct MaybeItemFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body, `{ ... }`, or `None` for a declaration ending in `;`.
    pub(crate) body: Option<TokenStream>,
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body = if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            None
        } else {
            let group: proc_macro2::Group = input.parse()?;
            if group.delimiter() != proc_macro2::Delimiter::Brace {
                return Err(syn::Error::new(group.span(), "expected a function body"));
            }
            Some(proc_macro2::TokenTree::Group(group).into())
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function"));
        }
        Ok(MaybeItemFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}
