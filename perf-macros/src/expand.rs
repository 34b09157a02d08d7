//! Code generation: what `#[profile]` turns a function into.
//!
//! Generated code names everything by absolute path and prefixes its locals
//! with `__perf_`, so it cannot collide with the user's names. It calls only
//! `perf_core::__private`, the runtime's support module for macros.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::attr::{MaybeItemFn, ProfileArgs};

/// Expands `#[profile(args)] item`. With `enabled` false the item comes back as
/// written (after the same checks), so a build without perf's `enabled` feature
/// carries no trace of the attribute.
pub(crate) fn profile(args: TokenStream, item: TokenStream, enabled: bool) -> TokenStream {
    let args = match syn::parse2::<ProfileArgs>(args) {
        Ok(args) => args,
        Err(err) => return with_error(err, item),
    };
    if is_impl(&item) {
        return match syn::parse2::<syn::ItemImpl>(item.clone()) {
            Ok(block) => profile_impl(&args, block, enabled),
            // The user's own syntax error, pointed at by syn.
            Err(err) => with_error(err, item),
        };
    }
    let func = match syn::parse2::<MaybeItemFn>(item.clone()) {
        Ok(func) => func,
        Err(err) => return with_error(not_a_function(&item).unwrap_or(err), item),
    };
    if let Some(constness) = func.sig.constness {
        let err = syn::Error::new(
            constness.span,
            "#[profile] cannot instrument a `const fn`: it may run at compile time, \
             where there is no clock to read; remove `const` or the attribute",
        );
        return with_error(err, item);
    }
    let Some(body) = &func.body else {
        let err = syn::Error::new(
            func.sig.ident.span(),
            "#[profile] needs a function body: put it on the implementation, not on the declaration",
        );
        return with_error(err, item);
    };
    if !enabled {
        return item;
    }
    let MaybeItemFn {
        attrs, vis, sig, ..
    } = &func;
    let new_body = instrument(&args, sig, body, default_name(sig));
    quote! {
        #(#attrs)*
        #vis #sig {
            #new_body
        }
    }
}

/// How a function is named when the attribute gives no `name`.
struct DefaultName {
    /// An expression for the name: a string literal or a `concat!`.
    name: TokenStream,
    /// The `perf_core::__private::Naming` variant the runtime forms the
    /// recorded name by.
    naming: TokenStream,
    /// Where the function starts, if not at the attribute: a method of an
    /// attributed impl block starts at its own `fn`.
    start: Option<Span>,
}

/// `module::fn`, which the runtime completes to `module::Type::fn` when the
/// function is a method it can see as one: it takes `self` or mentions
/// `Self` in its signature (a free fn can do neither).
fn default_name(sig: &syn::Signature) -> DefaultName {
    let ident = sig.ident.unraw().to_string();
    let method = sig.receiver().is_some() || mentions_ident(sig.to_token_stream(), "Self");
    DefaultName {
        name: quote!(::core::concat!(::core::module_path!(), "::", #ident)),
        naming: if method {
            quote!(Method)
        } else {
            quote!(Derived)
        },
        start: None,
    }
}

/// `#[profile(..)]` on an impl block: each of its functions instrumented with
/// the block's options and named `module::Type::method` (inherent) or
/// `<module::Type as Trait>::method` (trait impl), save a `const fn` and a
/// function with a `#[profile]` of its own.
fn profile_impl(args: &ProfileArgs, mut block: syn::ItemImpl, enabled: bool) -> TokenStream {
    if let Some(name) = &args.name {
        let err = syn::Error::new(
            name.span(),
            "`name` cannot be given to an impl block: each method is named after its type \
             (`Type::method`); put `#[profile(name = \"..\")]` on a method to name it",
        );
        return with_error(err, block.into_token_stream());
    }
    if !enabled {
        return block.into_token_stream();
    }
    let ty = type_text(&block.self_ty);
    let trait_ = block.trait_.as_ref().and_then(|(_, path, _)| {
        let segment = path.segments.last()?;
        Some(segment.ident.unraw().to_string())
    });
    for item in &mut block.items {
        let syn::ImplItem::Fn(func) = item else {
            continue;
        };
        if func.sig.constness.is_some() || func.attrs.iter().any(is_profile) {
            continue;
        }
        let method = func.sig.ident.unraw().to_string();
        let module = quote!(::core::module_path!());
        let is_ident = ty.chars().all(|c| c.is_alphanumeric() || c == '_');
        let name = match (is_ident, &trait_) {
            (true, Some(t)) => {
                quote!(::core::concat!("<", #module, "::", #ty, " as ", #t, ">::", #method))
            }
            (true, None) => quote!(::core::concat!(#module, "::", #ty, "::", #method)),
            (false, Some(t)) => {
                quote!(::core::concat!(#module, "::<", #ty, " as ", #t, ">::", #method))
            }
            (false, None) => quote!(::core::concat!(#module, "::<", #ty, ">::", #method)),
        };
        let name = DefaultName {
            name,
            naming: quote!(Derived),
            start: Some(func.sig.fn_token.span),
        };
        let body = func.block.to_token_stream();
        let new_body = instrument(args, &func.sig, &body, name);
        // As tokens: the new body is not parsed again.
        func.block.stmts = vec![syn::Stmt::Expr(syn::Expr::Verbatim(new_body), None)];
    }
    block.into_token_stream()
}

/// Whether the item is an impl block: its first keyword after attributes
/// and qualifiers is `impl` (`unsafe impl`, `default impl`), not `fn`.
fn is_impl(item: &TokenStream) -> bool {
    use proc_macro2::TokenTree;
    for token in item.clone() {
        if let TokenTree::Ident(ident) = token {
            if ident == "impl" {
                return true;
            }
            if !matches!(
                ident.to_string().as_str(),
                "pub" | "unsafe" | "default" | "crate" | "in" | "self" | "super"
            ) {
                return false;
            }
        }
    }
    false
}

/// Whether an attribute is `#[profile]` by any path (`#[perf_core::profile(cpu)]`).
fn is_profile(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "profile")
}

/// A type as the runtime's `callsite::names::short` writes one from
/// `type_name`: without lifetimes and generic arguments, each path cut to its
/// last segment (`&'a mut crate::x::Y<T>` → `&mut Y`).
fn type_text(ty: &syn::Type) -> String {
    fn render(tokens: TokenStream, out: &mut String) {
        use proc_macro2::{Delimiter, TokenTree};
        let mut tokens = tokens.into_iter().peekable();
        while let Some(token) = tokens.next() {
            match token {
                TokenTree::Ident(ident) => {
                    if out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                        out.push(' ');
                    }
                    let ident = ident.unraw().to_string();
                    out.push_str(&ident);
                    // `&mut [T]`, `dyn Trait`, `*const T`, as `type_name` spaces them.
                    if matches!(ident.as_str(), "mut" | "const" | "dyn" | "impl") {
                        out.push(' ');
                    }
                }
                TokenTree::Punct(p) if p.as_char() == '-' => {
                    tokens.next(); // `->`: a `-` is nothing else in a type
                    out.push_str(" -> ");
                }
                TokenTree::Punct(p) if p.as_char() == '+' => out.push_str(" + "),
                TokenTree::Punct(p) if p.as_char() == '\'' => {
                    tokens.next(); // a lifetime: `type_name` prints none
                }
                TokenTree::Punct(p) => {
                    out.push(p.as_char());
                    if matches!(p.as_char(), ',' | ';') {
                        out.push(' ');
                    }
                }
                TokenTree::Literal(lit) => out.push_str(&lit.to_string()),
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::None => ("", ""),
                    };
                    out.push_str(open);
                    render(group.stream(), out);
                    out.push_str(close);
                }
            }
        }
    }
    let mut text = String::new();
    render(ty.to_token_stream(), &mut text);
    short(&text)
}

/// perf-core's `callsite::names::short`, kept alike: `text` without generic
/// arguments and with every path cut to its last segment.
fn short(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                if depth == 0 {
                    out.push_str("->");
                }
            }
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ':' if depth == 0 && chars.peek() == Some(&':') => {
                chars.next();
                let keep = out
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                out.truncate(keep);
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// Whether `ident` appears anywhere in `tokens`.
fn mentions_ident(tokens: TokenStream, ident: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(i) => i == ident,
        proc_macro2::TokenTree::Group(group) => mentions_ident(group.stream(), ident),
        _ => false,
    })
}

/// The instrumented function's new body, its callsite named `name` unless
/// the attribute gives one.
fn instrument(
    args: &ProfileArgs,
    sig: &syn::Signature,
    body: &TokenStream,
    name: DefaultName,
) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::perf_core),
    };
    let start_line = match name.start {
        Some(span) => quote::quote_spanned!(span => ::core::line!()),
        None => quote!(::core::line!()),
    };
    let (name, naming) = match &args.name {
        Some(name) => (name.to_token_stream(), quote!(Given)),
        None => (name.name, name.naming),
    };
    let cpu = args.cpu;
    // `line!()` spanned at the body's closing brace: the function's last line.
    let end_line = match body.clone().into_iter().next() {
        Some(proc_macro2::TokenTree::Group(group)) => {
            quote::quote_spanned!(group.span_close() => ::core::line!())
        }
        _ => quote!(::core::line!()),
    };
    // `__perf_code` is nested in the function, so its type name is the
    // function's own path: what CPU samples of the function are matched by.
    let callsite = quote! {
        fn __perf_code() -> &'static str {
            ::core::any::type_name_of_val(&__perf_code)
        }
        static __PERF_CALLSITE: #krate::__private::Callsite = #krate::__private::Callsite::function_named(
            #name,
            #krate::__private::Naming::#naming,
            ::core::file!(),
            #start_line,
            #end_line,
            #cpu,
            __perf_code,
        );
    };
    // A function that measures CPU time keeps the clock's start in a guard
    // of its own: the others' guards stay smaller.
    let enter = if cpu {
        quote!(enter_cpu)
    } else {
        quote!(enter)
    };
    // A function returning a `Result` counts its `Err`s as failed calls.
    let fallible = returns_result(sig);
    if sig.asyncness.is_some() {
        // The body runs inside an instrumenting future: the time runs from its
        // first poll to its completion, and each poll nests its callees.
        let body = if fallible {
            // The body's own future, so that `return` and `?` keep their
            // meaning; its output tells the instrumenting future, in the
            // same poll, whether the call failed.
            quote!(async move { #krate::__private::settle_async(async move #body.await) })
        } else {
            quote!(async move #body)
        };
        quote! {
            #callsite
            #krate::__private::Instrumented::new(&__PERF_CALLSITE, #body).await
        }
    } else if INSTRUCTIONS {
        // The instruction build: the body runs through the slot of its
        // call-tree node, whose inclusive cost callgrind reports
        // (perf-core's `recorder::slot`).
        let ret = closure_return_type(sig);
        // `#![allow(..)]` cannot open a closure's body: it stays on the fn.
        let (inner_attrs, body) = split_inner_attrs(body);
        let call = quote!(#krate::__private::in_slot(__perf_guard.slot(), || #ret #body));
        let call = if fallible {
            quote!(__perf_guard.settle(#call))
        } else {
            call
        };
        quote! {
            #inner_attrs
            let __perf_guard = {
                #callsite
                #krate::__private::#enter(&__PERF_CALLSITE)
            };
            #call
        }
    } else if fallible {
        // The body runs as a closure called at once, so that its value is
        // seen whichever way it leaves (`return`, `?`, its end).
        let ret = closure_return_type(sig);
        let (inner_attrs, body) = split_inner_attrs(body);
        quote! {
            #inner_attrs
            let __perf_guard = {
                #callsite
                #krate::__private::#enter(&__PERF_CALLSITE)
            };
            __perf_guard.settle((|| #ret #body)())
        }
    } else {
        // The body's own statements follow the guard in the function's
        // block, not a block of theirs: a block in tail position would be
        // "unnecessary braces" to rustc's lint, and inner attributes
        // (`#![allow(..)]`) stay the function's.
        let (inner_attrs, body) = split_inner_attrs(body);
        let statements = block_contents(&body);
        quote! {
            #inner_attrs
            let __perf_guard = {
                #callsite
                #krate::__private::#enter(&__PERF_CALLSITE)
            };
            #statements
        }
    }
}

/// Whether this is an instruction build (`RUSTFLAGS="--cfg perf_instructions"`,
/// made by `cargo perf record --instructions`). Cargo passes `RUSTFLAGS` to
/// proc macros too when it builds for the host, which is how that command
/// builds: without `--target`, so that this and perf-core's cfg agree.
const INSTRUCTIONS: bool = cfg!(perf_instructions);

/// `-> T` for the closure that holds the body in an instruction build, so that
/// `?` and `.into()` in the body infer as they do in the function; nothing for
/// `-> impl Trait` (which a closure cannot name) and for `()`.
fn closure_return_type(sig: &syn::Signature) -> TokenStream {
    match &sig.output {
        syn::ReturnType::Type(arrow, ty) if !mentions_impl(ty.to_token_stream()) => {
            quote!(#arrow #ty)
        }
        _ => TokenStream::new(),
    }
}

/// Whether the declared return type is written `Result<..>` (any path
/// ending so: `io::Result<T>`, `anyhow::Result<T>`).
fn returns_result(sig: &syn::Signature) -> bool {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    match &**ty {
        syn::Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        _ => false,
    }
}

/// `{ #![attr] rest }` → (`#![attr]`, `{ rest }`), the block keeping its span.
fn split_inner_attrs(body: &TokenStream) -> (TokenStream, TokenStream) {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let Some(TokenTree::Group(block)) = body.clone().into_iter().next() else {
        return (TokenStream::new(), body.clone());
    };
    let tokens: Vec<TokenTree> = block.stream().into_iter().collect();
    let mut split = 0;
    while let [
        TokenTree::Punct(hash),
        TokenTree::Punct(bang),
        TokenTree::Group(attr),
        ..,
    ] = &tokens[split..]
    {
        if hash.as_char() != '#' || bang.as_char() != '!' || attr.delimiter() != Delimiter::Bracket
        {
            break;
        }
        split += 3;
    }
    let inner = tokens[..split].iter().cloned().collect();
    let mut rest = Group::new(block.delimiter(), tokens[split..].iter().cloned().collect());
    rest.set_span(block.span());
    (inner, TokenTree::Group(rest).into())
}

/// `{ stmts }` → `stmts`: what a block holds, without its braces.
fn block_contents(body: &TokenStream) -> TokenStream {
    match body.clone().into_iter().next() {
        Some(proc_macro2::TokenTree::Group(block)) => block.stream(),
        _ => body.clone(),
    }
}

/// Whether a type has `impl Trait` anywhere in it.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

/// A clearer error than a parse failure when the item is not a function at all.
fn not_a_function(item: &TokenStream) -> Option<syn::Error> {
    let item: syn::Item = syn::parse2(item.clone()).ok()?;
    let (span, what): (Span, &str) = match &item {
        syn::Item::Struct(s) => (s.struct_token.span, "a struct"),
        syn::Item::Enum(e) => (e.enum_token.span, "an enum"),
        syn::Item::Union(u) => (u.union_token.span, "a union"),
        syn::Item::Const(c) => (c.const_token.span, "a const"),
        syn::Item::Static(s) => (s.static_token.span, "a static"),
        syn::Item::Trait(t) => (t.trait_token.span, "a trait"),
        syn::Item::Mod(m) => (m.mod_token.span, "a module"),
        syn::Item::Type(t) => (t.type_token.span, "a type alias"),
        syn::Item::Use(u) => (u.use_token.span, "a use declaration"),
        syn::Item::Fn(_) => return None,
        other => (other.span(), "this item"),
    };
    Some(syn::Error::new(
        span,
        format!("#[profile] can only be put on a function, not on {what}"),
    ))
}

/// The item as written plus the error, so that one mistake in the attribute
/// does not also make every use of the item an error.
fn with_error(err: syn::Error, item: TokenStream) -> TokenStream {
    let mut out = err.into_compile_error();
    out.extend(item);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: TokenStream, item: TokenStream, enabled: bool) -> String {
        profile(args, item, enabled).to_string()
    }

    #[test]
    fn disabled_leaves_the_function_as_written() {
        let item = quote! {
            #[inline]
            pub fn parse(input: &str) -> Result<u32, Error> { let n = input.parse()?; Ok(n) }
        };
        assert_eq!(expand(quote!(cpu), item.clone(), false), item.to_string());
    }

    #[test]
    fn disabled_still_rejects_misuse() {
        let out = expand(
            quote!(),
            quote!(
                const fn f() {}
            ),
            false,
        );
        assert!(out.contains("compile_error"), "{out}");
    }

    #[test]
    fn sync_function_gets_a_guard_and_a_callsite() {
        let out = expand(
            quote!(),
            quote!(
                fn work() -> u32 {
                    1
                }
            ),
            true,
        );
        assert!(out.contains("__private :: enter (&"), "{out}");
        assert!(out.contains("\"work\""), "{out}");
        assert!(out.contains("module_path"), "{out}");
    }

    #[test]
    fn explicit_name_and_cpu_and_crate_path() {
        let out = expand(
            quote!(name = "db::get", cpu, crate = my::perf),
            quote!(
                fn get() {}
            ),
            true,
        );
        assert!(out.contains("\"db::get\""), "{out}");
        assert!(
            out.contains("my :: perf :: __private :: enter_cpu"),
            "{out}"
        );
        assert!(out.contains("true"), "{out}");
        assert!(!out.contains("module_path"), "{out}");
    }

    #[test]
    fn async_function_is_wrapped_in_an_instrumented_future() {
        let out = expand(
            quote!(),
            quote!(
                async fn get() -> u8 {
                    1
                }
            ),
            true,
        );
        assert!(out.contains("Instrumented :: new"), "{out}");
        assert!(out.contains("async move"), "{out}");
        assert!(out.contains(". await"), "{out}");
    }

    #[test]
    fn the_slot_closure_names_the_return_type_unless_it_is_opaque() {
        let ret = |sig: TokenStream| {
            closure_return_type(&syn::parse2::<syn::Signature>(sig).unwrap()).to_string()
        };
        assert_eq!(ret(quote!(fn f() -> Result<u8, E>)), "-> Result < u8 , E >");
        assert_eq!(ret(quote!(fn f())), "");
        assert_eq!(ret(quote!(fn f() -> impl Iterator<Item = u8>)), "");
        assert_eq!(ret(quote!(fn f() -> Box<(impl Fn(), u8)>)), "");
    }

    #[test]
    fn inner_attributes_are_split_from_the_body() {
        let (inner, rest) = split_inner_attrs(&quote!(
            {
                #![allow(unused)]
                #![deny(x)]
                let a = 1;
                a
            }
        ));
        assert_eq!(inner.to_string(), "# ! [allow (unused)] # ! [deny (x)]");
        assert_eq!(rest.to_string(), "{ let a = 1 ; a }");
        let (inner, rest) = split_inner_attrs(&quote!({
            #[inline]
            fn g() {}
        }));
        assert!(inner.is_empty());
        assert_eq!(rest.to_string(), "{ # [inline] fn g () { } }");
    }

    #[test]
    fn raw_identifiers_are_named_without_the_prefix() {
        let out = expand(
            quote!(),
            quote!(
                fn r#type() {}
            ),
            true,
        );
        assert!(out.contains("\"type\""), "{out}");
    }

    #[test]
    fn duplicate_and_unknown_options_are_errors() {
        for args in [
            quote!(cpu, cpu),
            quote!(name = "a", name = "b"),
            quote!(fast),
        ] {
            let out = expand(
                args.clone(),
                quote!(
                    fn f() {}
                ),
                true,
            );
            assert!(out.contains("compile_error"), "{args}: {out}");
        }
    }

    /// The names each instrumented method of an impl block gets, in order.
    fn impl_names(args: TokenStream, item: TokenStream) -> Vec<String> {
        let out = expand(args, item, true);
        out.split("Callsite :: function_named (")
            .skip(1)
            .map(|call| {
                call.split(", :: perf_core")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn an_impl_block_names_each_method_by_its_type() {
        let names = impl_names(
            quote!(),
            quote! {
                impl<T: Clone> Parser<T> {
                    fn parse(&self) -> T { self.0.clone() }
                    fn new() -> u8 { 1 }
                }
            },
        );
        assert_eq!(
            names,
            [
                ":: core :: concat ! (:: core :: module_path ! () , \"::\" , \"Parser\" , \"::\" , \"parse\")",
                ":: core :: concat ! (:: core :: module_path ! () , \"::\" , \"Parser\" , \"::\" , \"new\")",
            ]
        );
    }

    #[test]
    fn a_trait_impl_block_names_each_method_type_as_trait() {
        let names = impl_names(
            quote!(),
            quote! {
                impl std::str::FromStr for crate::semver::Version {
                    type Err = ();
                    fn from_str(s: &str) -> Result<Self, ()> { Err(()) }
                }
            },
        );
        assert_eq!(
            names,
            [
                ":: core :: concat ! (\"<\" , :: core :: module_path ! () , \"::\" , \"Version\" , \" as \" , \"FromStr\" , \">::\" , \"from_str\")"
            ]
        );
        let names = impl_names(
            quote!(),
            quote! {
                impl<'a, T> Shape<T> for &'a mut [T] { fn area(&self) -> u64 { 0 } }
            },
        );
        assert!(
            names[0].contains("\"::<\" , \"&mut [T]\" , \" as \" , \"Shape\""),
            "{names:?}"
        );
    }

    #[test]
    fn an_impl_block_spares_const_fns_and_methods_with_their_own_attribute() {
        let out = expand(
            quote!(cpu),
            quote! {
                impl Square {
                    const fn side(&self) -> u64 { self.0 }
                    #[perf_core::profile(name = "own")]
                    fn own(&self) {}
                    #[profile]
                    fn plain(&self) {}
                    fn area(&self) -> u64 { self.0 * self.0 }
                    type Ignored = ();
                }
            },
            true,
        );
        assert_eq!(out.matches("function_named").count(), 1, "{out}");
        assert!(out.contains("\"area\""), "{out}");
        assert!(
            out.contains("enter_cpu"),
            "the block's options apply: {out}"
        );
        assert!(out.contains("const fn side"), "{out}");
        assert!(
            out.contains("# [perf_core :: profile (name = \"own\")]"),
            "{out}"
        );
        assert!(out.contains("# [profile] fn plain"), "{out}");
    }

    #[test]
    fn a_name_on_an_impl_block_is_an_error_and_disabled_leaves_it_as_written() {
        let item = quote! { impl Square { fn area(&self) -> u64 { 1 } } };
        let out = expand(quote!(name = "x"), item.clone(), true);
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("cannot be given to an impl block"), "{out}");
        assert!(expand(quote!(name = "x"), item.clone(), false).contains("compile_error"));
        assert_eq!(expand(quote!(cpu), item.clone(), false), item.to_string());
    }

    #[test]
    fn a_lone_method_is_named_by_the_runtime_a_free_fn_by_its_path() {
        let naming = |item: TokenStream| {
            let out = expand(quote!(), item, true);
            out.split("Naming :: ")
                .nth(1)
                .unwrap_or("")
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        assert_eq!(
            naming(quote!(
                fn area(&self) -> u64 {
                    1
                }
            )),
            "Method"
        );
        assert_eq!(
            naming(quote!(
                fn new() -> Self {
                    Self
                }
            )),
            "Method"
        );
        assert_eq!(
            naming(quote!(
                fn parse<T: Into<Self>>(t: T) {}
            )),
            "Method"
        );
        assert_eq!(
            naming(quote!(
                fn build() -> u8 {
                    1
                }
            )),
            "Derived"
        );
        let out = expand(
            quote!(name = "db::get"),
            quote!(
                fn get(&self) {}
            ),
            true,
        );
        assert!(out.contains("Naming :: Given"), "{out}");
    }

    #[test]
    fn type_text_is_the_last_segment_without_generics_or_lifetimes() {
        let text = |ty: TokenStream| type_text(&syn::parse2(ty).unwrap());
        assert_eq!(text(quote!(crate::x::Y)), "Y");
        assert_eq!(text(quote!(Foo<T, Vec<u8>>)), "Foo");
        assert_eq!(text(quote!(&'a mut a::Foo<'a>)), "&mut Foo");
        assert_eq!(text(quote!([a::B; 4])), "[B; 4]");
        assert_eq!(text(quote!((a::A, b::B<u8>))), "(A, B)");
        assert_eq!(text(quote!(dyn a::Tr + Send)), "dyn Tr + Send");
        assert_eq!(text(quote!(fn(a::B) -> c::D)), "fn(B) -> D");
        assert_eq!(text(quote!(*const a::B)), "*const B");
    }

    #[test]
    fn an_impl_block_keeps_inner_attributes_and_reports_syntax_errors() {
        let out = expand(
            quote!(),
            quote! {
                impl Square {
                    fn area(&self) -> u64 {
                        #![allow(clippy::identity_op)]
                        self.0 * 1
                    }
                }
            },
            true,
        );
        let attr = out.find("# ! [allow (clippy :: identity_op)]").expect(&out);
        assert!(attr < out.find("__perf_guard").expect(&out), "{out}");

        let out = expand(
            quote!(),
            quote!(impl Square { fn area(&self) { let = ; } }),
            true,
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(!out.contains("can only be put on a function"), "{out}");
    }

    #[test]
    fn impls_and_functions_are_told_apart_by_their_first_keyword() {
        assert!(is_impl(&quote!(
            #[cfg(x)]
            unsafe impl<T> Send for X<T> {}
        )));
        assert!(is_impl(&quote!(impl X { fn f() -> impl Y {} })));
        assert!(!is_impl(&quote!(
            pub(crate) fn f() -> impl Iterator<Item = u8> {}
        )));
        assert!(!is_impl(&quote!(
            pub async unsafe fn f() {}
        )));
    }

    proptest::proptest! {
        /// However the impl is instantiated, or its arguments written, the name
        /// is the type's.
        #[test]
        fn generic_impls_get_one_name(args in proptest::collection::vec(
            proptest::sample::select(vec!["T", "u8", "Vec<T>", "&'a str", "HashMap<K, Vec<V>>", "[u8; 4]", "(A, B)", "fn(u8) -> u16"]),
            1..4,
        )) {
            let ty: syn::Type = syn::parse_str(&format!("a::b::Foo<{}>", args.join(", "))).unwrap();
            proptest::prop_assert_eq!(type_text(&ty), "Foo");
            proptest::prop_assert_eq!(short(&format!("a::b::Foo<{}>", args.join(", "))), "Foo");
        }
    }
}
