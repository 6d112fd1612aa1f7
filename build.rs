//! Build script: SONAME, the `zmq_draft_api` cfg, the `libzmq.so.5` link next to the built
//! library, and the generated headers `include/zmq.h` and `include/zmq_utils.h`.
//!
//! `zmq.h` is cbindgen's rendering of `src/abi.rs` and of every `#[no_mangle] extern "C"`
//! function, wrapped in the frame libzmq's header has (guard, includes, `extern "C"`,
//! `ZMQ_EXPORT`, errno fallbacks, callback typedefs). Every function of the ABI is declared
//! exactly once: by cbindgen when Rust defines it, otherwise verbatim from
//! `tests/abi/functions.txt`. A fresh copy of each header also goes to `OUT_DIR`, which the
//! staleness test compares with the committed one.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

// cbindgen's IR (its `unstable_ir` feature; the version is pinned by Cargo.lock) lets this
// script select the ABI items and spell types as libzmq does, rather than patch text.
use cbindgen::ir::{Cfg, GenericPath, Item, ItemContainer, Path as IrPath, Type};

/// The cfg marking draft items in Rust, and the macro a C program defines to see them.
const DRAFT_CFG: &str = "zmq_draft_api";
const DRAFT_DEFINE: &str = "ZMQ_BUILD_DRAFT_API";

/// The C types of the ABI that cbindgen renders from `src/abi.rs`.
const ABI_TYPES: [&str; 4] = [
    "zmq_msg_t",
    "zmq_pollitem_t",
    "zmq_fd_t",
    "zmq_poller_event_t",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(zmq_draft_api)");
    // `tests/loom` builds the wake-up protocol (src/signal/wake.rs) with `--cfg loom`.
    println!("cargo::rustc-check-cfg=cfg(loom)");
    println!("cargo::rustc-cfg=zmq_draft_api");
    println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
    for input in [
        "build.rs",
        "cbindgen.toml",
        "src",
        "tests/abi/functions.txt",
        "include",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }

    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    link_soname(&out_dir);

    let headers = [
        ("zmq.h", zmq_h(&root)),
        ("zmq_utils.h", ZMQ_UTILS_H.to_owned()),
    ];
    for (name, text) in &headers {
        write_if_changed(&out_dir.join(name), text);
        write_if_changed(&root.join("include").join(name), text);
    }
}

/// Makes `libzmq.so.5 -> libzmq.so` in the profile directory (`target/<profile>/`), so a
/// program linked with `-lzmq` (which records the SONAME) runs with that directory in
/// `LD_LIBRARY_PATH`.
fn link_soname(out_dir: &Path) {
    // OUT_DIR is <profile dir>/build/<package>-<hash>/out.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let link = profile_dir.join("libzmq.so.5");
    if fs::read_link(&link).is_ok_and(|target| target == Path::new("libzmq.so")) {
        return;
    }
    let _ = fs::remove_file(&link);
    #[cfg(unix)]
    std::os::unix::fs::symlink("libzmq.so", &link)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", link.display()));
}

/// Rewrites `path` only when its content differs, so unchanged headers keep their mtime.
fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// One function of the ABI, as listed in `tests/abi/functions.txt`.
struct AbiFunction {
    name: String,
    /// The C prototype, e.g. `int zmq_bind(void *s, const char *addr);`.
    prototype: String,
    draft: bool,
}

/// Reads `FUNC <stable|draft> <prototype>` lines; `#` starts a comment line.
fn abi_functions(root: &Path) -> Vec<AbiFunction> {
    let path = root.join("tests/abi/functions.txt");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut functions = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line.strip_prefix("FUNC ").and_then(|rest| {
            let (stability, prototype) = rest.split_once(' ')?;
            let draft = match stability {
                "stable" => false,
                "draft" => true,
                _ => return None,
            };
            let before_args = &prototype[..prototype.find('(')?];
            let name = before_args.rsplit([' ', '*']).next()?;
            Some(AbiFunction {
                name: name.to_owned(),
                prototype: prototype.to_owned(),
                draft,
            })
        });
        functions.push(parsed.unwrap_or_else(|| panic!("{}: bad line: {line}", path.display())));
    }
    functions
}

/// A constant of `src/abi.rs`: its name, and for string constants their value.
struct AbiConst {
    name: String,
    string_value: Option<String>,
    draft: bool,
}

/// Reads the `pub const` items of `src/abi.rs` (one per line, the form that file is
/// written in). cbindgen renders the numeric ones; it has no C form for `&str` constants,
/// which this script writes as string-literal macros.
fn abi_consts(root: &Path) -> Vec<AbiConst> {
    let path = root.join("src/abi.rs");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut consts = Vec::new();
    let mut draft = false;
    for line in text.lines().map(str::trim) {
        if line == format!("#[cfg({DRAFT_CFG})]") {
            draft = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub const ") {
            let (name, rest) = rest
                .split_once(':')
                .unwrap_or_else(|| panic!("{}: bad const: {line}", path.display()));
            let string_value = rest.trim().strip_prefix("&str = ").map(|value| {
                let value = value.strip_suffix(';').unwrap_or(value).trim();
                let ok = value.len() >= 2
                    && value.starts_with('"')
                    && value.ends_with('"')
                    && !value[1..value.len() - 1].contains(['"', '\\']);
                assert!(ok, "{}: unsupported string const: {line}", path.display());
                value.to_owned()
            });
            consts.push(AbiConst {
                name: name.trim().to_owned(),
                string_value,
                draft,
            });
        }
        if !line.starts_with("#[") && !line.starts_with("///") {
            draft = false;
        }
    }
    consts
}

fn type_path(name: &str) -> Type {
    Type::Path(GenericPath::new(IrPath::new(name), Vec::new()))
}

/// Spells a parameter or return type the way libzmq's header does.
fn libzmq_spelling(ty: &mut Type) {
    match ty {
        Type::Ptr { ty: pointee, .. } => libzmq_spelling(pointee),
        Type::Path(path) => {
            let name = path.name().to_owned();
            match name.as_str() {
                // Rust passes callbacks as `Option<fn>`; libzmq declares function types and
                // takes `zmq_free_fn *ffn` and `zmq_thread_fn *func` but `zmq_timer_fn handler`
                // (a function-typed parameter, which C adjusts to the same pointer).
                "zmq_free_fn" | "Option_zmq_free_fn" | "zmq_thread_fn" | "Option_zmq_thread_fn" => {
                    *ty = Type::Ptr {
                        ty: Box::new(type_path(name.trim_start_matches("Option_"))),
                        is_const: false,
                        is_nullable: true,
                        is_ref: false,
                    };
                }
                "zmq_timer_fn" | "Option_zmq_timer_fn" => *ty = type_path("zmq_timer_fn"),
                // C code names these structs by their typedef (`zmq_msg_t *msg`), not their tag.
                _ if path.ctype().is_some() => *ty = type_path(&name),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Generates `include/zmq.h`.
fn zmq_h(root: &Path) -> String {
    let abi_fns = abi_functions(root);
    let consts = abi_consts(root);

    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let mut bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/lib.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen: {e}"));

    // Only the ABI reaches the header: constants of src/abi.rs, its C types, and the
    // exported functions (crate-internal `pub` items elsewhere stay out).
    let const_names: BTreeSet<&str> = consts.iter().map(|c| c.name.as_str()).collect();
    bindings
        .constants
        .retain(|c| const_names.contains(c.export_name.as_str()));
    bindings.items.retain(|item| {
        let name = match item {
            ItemContainer::Struct(s) => s.export_name(),
            ItemContainer::Typedef(t) => t.export_name(),
            _ => return false,
        };
        ABI_TYPES.contains(&name)
    });
    let draft_cfg = Some(Cfg::Boolean(DRAFT_CFG.to_owned()));
    for function in &mut bindings.functions {
        // Draft or stable is the ABI's call, whatever cfg the Rust definition carries.
        if let Some(abi) = abi_fns.iter().find(|f| f.name == function.path.name()) {
            function.cfg = if abi.draft { draft_cfg.clone() } else { None };
        }
        libzmq_spelling(&mut function.ret);
        for arg in &mut function.args {
            libzmq_spelling(&mut arg.ty);
        }
    }
    // Stable declarations first, then the draft ones, which `tidy` joins into one block.
    bindings.constants.sort_by_key(|c| c.cfg.is_some());
    bindings.functions.sort_by_key(|f| f.cfg.is_some());
    let defined: BTreeSet<String> = bindings
        .functions
        .iter()
        .map(|f| f.path.name().to_owned())
        .collect();

    let mut body = Vec::new();
    bindings.write(&mut body);
    let body = tidy(&String::from_utf8(body).expect("cbindgen wrote UTF-8"));

    // A ZMQ_HAVE_* macro promises a whole family of functions: it is defined only when
    // every function of the family is defined in Rust (and so exported).
    let have = |prefix: &str| {
        let family: Vec<&AbiFunction> = abi_fns
            .iter()
            .filter(|f| f.name.starts_with(prefix))
            .collect();
        !family.is_empty() && family.iter().all(|f| defined.contains(&f.name))
    };
    let timers = if have("zmq_timers_") {
        "#define ZMQ_HAVE_TIMERS\n"
    } else {
        ""
    };

    let mut h = String::new();
    h.push_str(&ZMQ_H_HEAD.replace("@HAVE_TIMERS@\n", timers));
    h.push_str(body.trim());
    h.push('\n');

    let strings = |draft: bool| {
        consts
            .iter()
            .filter(move |c| c.draft == draft)
            .filter_map(|c| Some(format!("#define {} {}\n", c.name, c.string_value.as_ref()?)))
            .collect::<String>()
    };
    let missing = |draft: bool| {
        let mut missing: Vec<&AbiFunction> = abi_fns
            .iter()
            .filter(|f| f.draft == draft && !defined.contains(&f.name))
            .collect();
        missing.sort_by(|a, b| a.name.cmp(&b.name));
        missing
            .iter()
            .map(|f| format!("ZMQ_EXPORT {}\n", f.prototype))
            .collect::<String>()
    };
    let (stable_missing, draft_missing) = (missing(false), missing(true));
    let stable_strings = strings(false);
    if !stable_strings.is_empty() {
        h.push('\n');
        h.push_str(&stable_strings);
    }
    if !stable_missing.is_empty() || !draft_missing.is_empty() {
        h.push_str(
            "\n/*  Functions of the ABI not (yet) defined in the Rust sources, declared from\n    \
             the ABI's function list so that programs compile against the whole API.  */\n",
        );
        h.push_str(&stable_missing);
    }
    h.push_str(&format!("\n#ifdef {DRAFT_DEFINE}\n\n"));
    if have("zmq_poller_") {
        h.push_str("#define ZMQ_HAVE_POLLER\n\n");
    }
    h.push_str(&strings(true));
    if !draft_missing.is_empty() {
        h.push('\n');
        h.push_str(&draft_missing);
    }
    h.push_str(&format!("\n#endif /* {DRAFT_DEFINE} */\n"));
    h.push_str(ZMQ_H_TAIL);
    h
}

/// Joins adjacent blocks under the same condition, drops the blank lines cbindgen puts
/// between one-line declarations and squeezes runs of blank lines, so that the header
/// reads in sections.
fn tidy(body: &str) -> String {
    let joined = body.replace(&format!("#endif\n\n#if defined({DRAFT_DEFINE})\n"), "");
    let lines: Vec<&str> = joined.lines().collect();
    let one_line = |line: &str| line.starts_with("#define ") || line.starts_with("ZMQ_EXPORT ");
    let mut out = String::with_capacity(joined.len());
    for (i, line) in lines.iter().enumerate() {
        let after_blank = i > 0 && lines[i - 1].is_empty();
        let between_one_liners =
            i > 0 && i + 1 < lines.len() && one_line(lines[i - 1]) && one_line(lines[i + 1]);
        if line.is_empty() && (after_blank || between_one_liners) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Everything before cbindgen's output: guard, includes, `extern "C"`, macros and the
/// callback typedefs, in the order libzmq's header defines them.
const ZMQ_H_HEAD: &str = r#"/*  zmq.h: the C API of this library, ABI-compatible with libzmq 4.3.5.
    SPDX-License-Identifier: MPL-2.0

    Generated by build.rs from the Rust sources (cbindgen); do not edit.
    Draft API items are visible only when ZMQ_BUILD_DRAFT_API is defined.  */

#ifndef __ZMQ_H_INCLUDED__
#define __ZMQ_H_INCLUDED__

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#ifdef ZMQ_BUILD_DRAFT_API
#include <signal.h> /* sigset_t, for zmq_ppoll */
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define ZMQ_MAKE_VERSION(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))

#if defined(__GNUC__) && __GNUC__ >= 4
#define ZMQ_EXPORT __attribute__((visibility("default")))
#else
#define ZMQ_EXPORT
#endif

/*  Alignment of zmq_msg_t (a pointer's).  */
#if defined(__GNUC__) || defined(__clang__)
#define ZMQ_ALIGNED_(n) __attribute__((aligned(n)))
#elif defined(_MSC_VER)
#define ZMQ_ALIGNED_(n) __declspec(align(n))
#else
#define ZMQ_ALIGNED_(n)
#endif

/*  Error numbers a system may lack; on Linux errno.h has them all.  */
#ifndef ENOTSUP
#define ENOTSUP (ZMQ_HAUSNUMERO + 1)
#endif
#ifndef EPROTONOSUPPORT
#define EPROTONOSUPPORT (ZMQ_HAUSNUMERO + 2)
#endif
#ifndef ENOBUFS
#define ENOBUFS (ZMQ_HAUSNUMERO + 3)
#endif
#ifndef ENETDOWN
#define ENETDOWN (ZMQ_HAUSNUMERO + 4)
#endif
#ifndef EADDRINUSE
#define EADDRINUSE (ZMQ_HAUSNUMERO + 5)
#endif
#ifndef EADDRNOTAVAIL
#define EADDRNOTAVAIL (ZMQ_HAUSNUMERO + 6)
#endif
#ifndef ECONNREFUSED
#define ECONNREFUSED (ZMQ_HAUSNUMERO + 7)
#endif
#ifndef EINPROGRESS
#define EINPROGRESS (ZMQ_HAUSNUMERO + 8)
#endif
#ifndef ENOTSOCK
#define ENOTSOCK (ZMQ_HAUSNUMERO + 9)
#endif
#ifndef EMSGSIZE
#define EMSGSIZE (ZMQ_HAUSNUMERO + 10)
#endif
#ifndef EAFNOSUPPORT
#define EAFNOSUPPORT (ZMQ_HAUSNUMERO + 11)
#endif
#ifndef ENETUNREACH
#define ENETUNREACH (ZMQ_HAUSNUMERO + 12)
#endif
#ifndef ECONNABORTED
#define ECONNABORTED (ZMQ_HAUSNUMERO + 13)
#endif
#ifndef ECONNRESET
#define ECONNRESET (ZMQ_HAUSNUMERO + 14)
#endif
#ifndef ENOTCONN
#define ENOTCONN (ZMQ_HAUSNUMERO + 15)
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT (ZMQ_HAUSNUMERO + 16)
#endif
#ifndef EHOSTUNREACH
#define EHOSTUNREACH (ZMQ_HAUSNUMERO + 17)
#endif
#ifndef ENETRESET
#define ENETRESET (ZMQ_HAUSNUMERO + 18)
#endif

struct iovec;

/*  Callbacks are function types, as in libzmq.  */
typedef void(zmq_free_fn)(void *data, void *hint);
typedef void(zmq_thread_fn)(void *);
typedef void(zmq_timer_fn)(int timer_id, void *arg);

@HAVE_TIMERS@

"#;

/// Everything after the function declarations.
const ZMQ_H_TAIL: &str = r#"
#undef ZMQ_ALIGNED_
#undef ZMQ_EXPORT

#ifdef __cplusplus
}
#endif

#endif /* __ZMQ_H_INCLUDED__ */
"#;

/// libzmq keeps `zmq_utils.h` for old programs; everything it declared is in `zmq.h`.
const ZMQ_UTILS_H: &str = r#"/*  zmq_utils.h: kept for programs that include it; the API is all in zmq.h.
    SPDX-License-Identifier: MPL-2.0

    Generated by build.rs; do not edit.  */

#ifndef __ZMQ_UTILS_H_INCLUDED__
#define __ZMQ_UTILS_H_INCLUDED__

#include "zmq.h"

#endif /* __ZMQ_UTILS_H_INCLUDED__ */
"#;
