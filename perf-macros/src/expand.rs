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
    instrument(&args, &func, body)
}

/// The instrumented function.
fn instrument(args: &ProfileArgs, func: &MaybeItemFn, body: &TokenStream) -> TokenStream {
    let MaybeItemFn {
        attrs, vis, sig, ..
    } = func;
    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::perf_core),
    };
    let name = match &args.name {
        Some(name) => name.to_token_stream(),
        None => {
            let ident = sig.ident.unraw().to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #ident))
        }
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
        static __PERF_CALLSITE: #krate::__private::Callsite = #krate::__private::Callsite::function(
            #name,
            ::core::file!(),
            ::core::line!(),
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
    let new_body = if sig.asyncness.is_some() {
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
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #new_body
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
        syn::Item::Impl(i) => (i.impl_token.span, "an impl block"),
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
}
