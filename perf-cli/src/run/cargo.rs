//! Building the user's program as cargo does: which binary `cargo run`
//! would pick (from `cargo metadata`), the flags of `cargo build`
//! (`--package`, `--features`, `--profile` …), and the build itself, whose
//! executable is read from cargo's JSON messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::signals::Watch;
use crate::Error;
use crate::shell::shell_words;

/// The kinds of cargo target `record` can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CargoTarget {
    /// `--example NAME`.
    Example,
    /// `--bin NAME`.
    Bin,
}

impl CargoTarget {
    /// Its flag: `--example` or `--bin`.
    fn flag(self) -> &'static str {
        match self {
            CargoTarget::Example => "--example",
            CargoTarget::Bin => "--bin",
        }
    }

    /// The target kind in cargo's messages: `example` or `bin`.
    fn kind(self) -> &'static str {
        match self {
            CargoTarget::Example => "example",
            CargoTarget::Bin => "bin",
        }
    }
}

/// The flags of `cargo build` that choose what is built and how, as
/// `cargo build` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CargoBuild {
    /// `--package`: the package of the example or binary.
    pub package: Option<String>,
    /// `--features`, each as given (comma or space separated lists).
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--profile`; `None` is `release`.
    pub profile: Option<String>,
}

impl CargoBuild {
    /// The features, one list as cargo joins them: `a,b,c`; none when empty.
    fn feature_list(&self) -> Option<String> {
        let features: Vec<&str> = self
            .features
            .iter()
            .flat_map(|f| f.split([',', ' ']))
            .filter(|f| !f.is_empty())
            .collect();
        (!features.is_empty()).then(|| features.join(","))
    }

    /// `--release`, or `--profile NAME`.
    fn profile_args(&self) -> Vec<String> {
        match self.profile.as_deref() {
            None | Some("release") => vec!["--release".to_owned()],
            Some(profile) => vec!["--profile".to_owned(), profile.to_owned()],
        }
    }

    /// The package and features.
    fn selection_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(package) = &self.package {
            args.extend(["--package".to_owned(), package.clone()]);
        }
        if let Some(features) = self.feature_list() {
            args.extend(["--features".to_owned(), features]);
        }
        if self.all_features {
            args.push("--all-features".to_owned());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        args
    }
}

/// `cargo build` of one example or binary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Build<'a> {
    /// `--example` or `--bin`.
    pub(crate) kind: CargoTarget,
    /// Its name.
    pub(crate) name: &'a str,
    /// The package, features and profile.
    pub(crate) flags: &'a CargoBuild,
    /// Where cargo runs (default: the current directory).
    pub(crate) dir: Option<&'a Path>,
    /// `CARGO_TARGET_DIR` (default: cargo's own choice).
    pub(crate) target_dir: Option<&'a Path>,
    /// `RUSTFLAGS` (default: the environment's). Cargo also passes them to
    /// proc macros as long as no `--target` is given, which the instruction
    /// build relies on (perf-macros reads the cfg).
    pub(crate) rustflags: Option<&'a str>,
}

impl Build<'_> {
    /// The arguments after `cargo`.
    fn args(&self) -> Vec<String> {
        let mut args = vec!["build".to_owned()];
        args.extend(self.flags.profile_args());
        args.extend([self.kind.flag().to_owned(), self.name.to_owned()]);
        args.extend(self.flags.selection_args());
        args
    }

    /// The command line as shown.
    pub(crate) fn shown(&self) -> String {
        shell_words(
            &std::iter::once("cargo".to_owned())
                .chain(self.args())
                .collect::<Vec<_>>(),
        )
    }

    /// Builds; the executable's path.
    pub(crate) fn run(&self, watch: &Watch) -> Result<PathBuf, Error> {
        let shown = self.shown();
        let mut command = Command::new(cargo());
        command
            .args(self.args())
            .arg("--message-format=json-render-diagnostics");
        if let Some(dir) = self.dir {
            command.current_dir(dir);
        }
        if let Some(target_dir) = self.target_dir {
            command.env("CARGO_TARGET_DIR", target_dir);
        }
        if let Some(rustflags) = self.rustflags {
            // `CARGO_ENCODED_RUSTFLAGS` would win over `RUSTFLAGS`.
            command
                .env("RUSTFLAGS", rustflags)
                .env_remove("CARGO_ENCODED_RUSTFLAGS");
        }
        tracing::info!("building: {shown}");
        // Compiler messages go to the terminal as usual; the JSON to us.
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let output = watch.output(&mut command, Error::spawn(&shown))?;
        if !output.status.success() {
            return Err(Error::Cargo {
                command: shown,
                status: output.status,
            });
        }
        executable(
            &String::from_utf8_lossy(&output.stdout),
            self.kind,
            self.name,
        )
        .ok_or(Error::NoExecutable {
            command: shown,
            target: self.name.to_owned(),
        })
    }
}

/// The executable of the `kind` target `name` in cargo's JSON messages
/// (fresh artefacts are reported too, wherever the profile put them).
fn executable(messages: &str, kind: CargoTarget, name: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == name)
        .filter(|message| {
            message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == kind.kind()))
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

/// `$CARGO`, as cargo sets it for its subcommands, else `cargo`.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// What perf needs of `cargo metadata --no-deps`: the workspace's
/// packages and binaries, and where it builds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    /// The workspace's packages.
    pub(crate) packages: Vec<Package>,
    /// The ids of the packages `cargo run` considers at the workspace root
    /// (`default-members`, else every member).
    pub(crate) default_members: Vec<String>,
    /// The workspace's root directory.
    pub(crate) workspace_root: PathBuf,
    /// Where cargo builds (`CARGO_TARGET_DIR`, `build.target-dir`, or
    /// `target` at the root).
    pub(crate) target_directory: PathBuf,
}

/// One package of the workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Package {
    /// Its id.
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Its Cargo.toml.
    pub(crate) manifest_path: PathBuf,
    /// `default-run`, if set.
    pub(crate) default_run: Option<String>,
    /// Its binaries, by name.
    pub(crate) bins: Vec<String>,
}

impl Metadata {
    /// `cargo metadata --format-version 1 --no-deps` run in `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Metadata, Error> {
        let shown = "cargo metadata --format-version 1 --no-deps";
        let output = Command::new(cargo())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(Error::spawn(shown))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let problem = stderr
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("it failed without a word")
                .trim_start_matches("error: ")
                .to_owned();
            return Err(Error::CargoMetadata {
                dir: dir.to_owned(),
                problem,
            });
        }
        Metadata::parse(&String::from_utf8_lossy(&output.stdout)).map_err(|problem| {
            Error::CargoMetadata {
                dir: dir.to_owned(),
                problem,
            }
        })
    }

    /// Reads cargo's JSON.
    fn parse(json: &str) -> Result<Metadata, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("unreadable output: {e}"))?;
        let path = |v: &serde_json::Value, key: &str| {
            v[key]
                .as_str()
                .map(PathBuf::from)
                .ok_or_else(|| format!("no {key} in its output"))
        };
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let packages = value["packages"]
            .as_array()
            .ok_or("no packages in its output")?
            .iter()
            .map(|p| {
                Ok(Package {
                    id: p["id"].as_str().unwrap_or_default().to_owned(),
                    name: p["name"].as_str().unwrap_or_default().to_owned(),
                    manifest_path: path(p, "manifest_path")?,
                    default_run: p["default_run"].as_str().map(str::to_owned),
                    bins: p["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|t| strings(&t["kind"]).iter().any(|k| k == "bin"))
                        .filter_map(|t| t["name"].as_str().map(str::to_owned))
                        .collect(),
                })
            })
            .collect::<Result<Vec<Package>, String>>()?;
        // `workspace_default_members` is newer than cargo 1.71's output.
        let default_members = match value.get("workspace_default_members") {
            Some(members) if members.is_array() => strings(members),
            _ => strings(&value["workspace_members"]),
        };
        Ok(Metadata {
            packages,
            default_members,
            workspace_root: path(&value, "workspace_root")?,
            target_directory: path(&value, "target_directory")?,
        })
    }

    /// The binary `cargo run` would run from `cwd`, with `--package
    /// package` if given: the package's `default-run`, else its only
    /// binary. Without `--package`, the package whose directory holds
    /// `cwd`, else (at a virtual workspace's root) the default members.
    /// Returns the binary and its package.
    pub(crate) fn pick_binary(
        &self,
        package: Option<&str>,
        cwd: &Path,
    ) -> Result<(String, String), Error> {
        let candidates: Vec<&Package> = match package {
            Some(spec) => {
                // `name` or `name@version`.
                let name = spec.split('@').next().unwrap_or(spec);
                let found: Vec<&Package> =
                    self.packages.iter().filter(|p| p.name == name).collect();
                if found.is_empty() {
                    return Err(Error::NoPackage {
                        spec: spec.to_owned(),
                        root: self.workspace_root.clone(),
                        packages: self
                            .packages
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                found
            }
            None => match self.package_at(cwd) {
                Some(package) => vec![package],
                None => self
                    .packages
                    .iter()
                    .filter(|p| self.default_members.contains(&p.id))
                    .collect(),
            },
        };
        let what = match &candidates[..] {
            [one] => format!("package `{}`", one.name),
            _ => format!("the workspace at {}", self.workspace_root.display()),
        };
        if let [one] = &candidates[..] {
            if let Some(default_run) = &one.default_run {
                return Ok((default_run.clone(), one.name.clone()));
            }
        }
        let bins: Vec<(&str, &str)> = candidates
            .iter()
            .flat_map(|p| p.bins.iter().map(|b| (b.as_str(), p.name.as_str())))
            .collect();
        match &bins[..] {
            [(bin, package)] => Ok(((*bin).to_owned(), (*package).to_owned())),
            [] => Err(Error::NoBinary { what }),
            many => Err(Error::ManyBinaries {
                what,
                binaries: many
                    .iter()
                    .map(|(bin, package)| match candidates.len() {
                        1 => (*bin).to_owned(),
                        _ => format!("{bin} (package {package})"),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The package whose directory holds `dir`: the nearest Cargo.toml
    /// above it that is a package's, up to the workspace root.
    fn package_at(&self, dir: &Path) -> Option<&Package> {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
        let root = self
            .workspace_root
            .canonicalize()
            .unwrap_or_else(|_| self.workspace_root.clone());
        for ancestor in dir.ancestors() {
            let manifest = ancestor.join("Cargo.toml");
            let found = self.packages.iter().find(|p| {
                p.manifest_path.canonicalize().ok().as_deref() == Some(manifest.as_path())
                    || p.manifest_path == manifest
            });
            if found.is_some() || ancestor == root {
                return found;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, bins: &[&str], default_run: Option<&str>) -> Package {
        Package {
            id: format!("path+file:///w/{name}#0.1.0"),
            name: name.to_owned(),
            manifest_path: PathBuf::from(format!("/nonexistent-ws/{name}/Cargo.toml")),
            default_run: default_run.map(str::to_owned),
            bins: bins.iter().map(|b| (*b).to_owned()).collect(),
        }
    }

    fn workspace(packages: Vec<Package>) -> Metadata {
        Metadata {
            default_members: packages.iter().map(|p| p.id.clone()).collect(),
            packages,
            workspace_root: PathBuf::from("/nonexistent-ws"),
            target_directory: PathBuf::from("/nonexistent-ws/target"),
        }
    }

    #[test]
    fn cargo_runs_the_only_binary_or_default_run() {
        let ws = workspace(vec![
            package("app", &["app"], None),
            package("tools", &["gen", "lint"], Some("gen")),
            package("lib", &[], None),
        ]);
        let root = Path::new("/nonexistent-ws");
        let pick = |package: Option<&str>, cwd: &str| {
            ws.pick_binary(package, &root.join(cwd))
                .map_err(|e| e.to_string())
        };
        assert_eq!(pick(Some("app"), ""), Ok(("app".into(), "app".into())));
        assert_eq!(pick(None, "app/src"), Ok(("app".into(), "app".into())));
        assert_eq!(
            pick(Some("tools@0.1.0"), ""),
            Ok(("gen".into(), "tools".into()))
        );
        let many = pick(None, "").unwrap_err();
        assert!(
            many.contains("app (package app), gen (package tools), lint (package tools)")
                && many.contains("--bin NAME"),
            "{many}"
        );
        let none = pick(Some("lib"), "").unwrap_err();
        assert!(none.contains("package `lib` has no binary"), "{none}");
        let unknown = pick(Some("ap"), "").unwrap_err();
        assert!(unknown.contains("app, tools, lib"), "{unknown}");
    }

    #[test]
    fn build_flags_are_cargos() {
        let flags = CargoBuild {
            package: Some("app".into()),
            features: vec!["a,b".into(), "c d".into(), String::new()],
            all_features: false,
            no_default_features: true,
            profile: Some("profiling".into()),
        };
        let build = |flags| Build {
            kind: CargoTarget::Bin,
            name: "app",
            flags,
            dir: None,
            target_dir: None,
            rustflags: None,
        };
        assert_eq!(
            build(&flags).shown(),
            "cargo build --profile profiling --bin app --package app --features a,b,c,d --no-default-features"
        );
        assert_eq!(
            build(&CargoBuild::default()).shown(),
            "cargo build --release --bin app"
        );
    }

    #[test]
    fn metadata_is_read_from_cargos_json() {
        let json = r#"{"packages": [{"name": "app", "id": "app 0.1.0", "manifest_path": "/w/Cargo.toml",
            "default_run": null, "targets": [{"name": "app", "kind": ["bin"]}, {"name": "app", "kind": ["lib"]},
            {"name": "demo", "kind": ["example"]}]}],
            "workspace_members": ["app 0.1.0"], "workspace_root": "/w", "target_directory": "/t"}"#;
        let metadata = Metadata::parse(json).unwrap();
        assert_eq!(metadata.packages[0].bins, ["app"]);
        assert_eq!(metadata.default_members, ["app 0.1.0"]);
        assert_eq!(metadata.target_directory, Path::new("/t"));
        assert!(Metadata::parse("{}").is_err());
    }
}
