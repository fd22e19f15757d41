//! `rechost new NAME --lang rust|python|js`: a buildable plugin skeleton (manifest, transform,
//! build command, a test on sample rows) from the templates in `plugins/templates/`, with the
//! language's guest SDK referenced from this rechost's source tree.

use anyhow::Context;
use clap::{Args, ValueEnum};
use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../plugins/templates");

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    fn template(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }

    /// The guest SDK in the source tree this rechost was built from.
    fn bundled_sdk(self) -> PathBuf {
        let folder = match self {
            Lang::Rust => "sdk",
            Lang::Python => "sdk-python",
            Lang::Js => "sdk-js",
        };
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../plugins")
            .join(folder)
    }

    fn next_steps(self, name: &str) -> String {
        let build = match self {
            Lang::Rust => "rustup target add wasm32-wasip2   # once\n  cargo test && sh build.sh",
            Lang::Python => {
                "pip install -r requirements.txt   # once, online\n  sh test.sh && sh build.sh"
            }
            Lang::Js => {
                "npm install                        # once, online\n  npm test && npm run build"
            }
        };
        format!(
            "  {build}\n  rechost check {name}.wasm\n  rechost sample media --rows 10000 --out sample.parquet\n  \
             rechost run {name}.wasm --input sample.parquet --out out"
        )
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name: letters, digits, `-` and `_`, starting with a letter.
    name: String,
    /// The language of the plugin.
    #[arg(long, value_enum)]
    lang: Lang,
    /// Folder to create [default: ./NAME]; must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The language's guest SDK [default: the one in the source tree rechost was built from].
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,
}

pub fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    let valid = args
        .name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && args.name.len() <= 64
        && (args.name.chars()).all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    anyhow::ensure!(
        valid,
        "plugin name {:?}: letters, digits, `-` and `_`, starting with a letter, at most 64",
        args.name
    );
    let sdk = args.sdk.clone().unwrap_or_else(|| args.lang.bundled_sdk());
    let sdk = std::fs::canonicalize(&sdk).with_context(|| {
        format!(
            "the {} guest SDK is not at {} (rechost finds it in the source tree it was built \
             from): pass --sdk PATH",
            args.lang.template(),
            sdk.display()
        )
    })?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    let occupied = std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
    anyhow::ensure!(!occupied, "{} exists and is not empty", dir.display());
    let template = TEMPLATES
        .get_dir(args.lang.template())
        .expect("every language has a template");
    let written = write_template(
        template,
        Path::new(args.lang.template()),
        &dir,
        &args.name,
        &sdk,
    )?;
    eprintln!(
        "created {} ({written} files, a {} plugin); next:\n  cd {}\n{}",
        dir.display(),
        args.lang.template(),
        dir.display(),
        args.lang.next_steps(&args.name)
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes every file of `template` (rooted at `root` in the embedded tree) under `dir`, with
/// `{{name}}` and `{{sdk}}` filled in; returns how many files were written.
fn write_template(
    template: &Dir<'_>,
    root: &Path,
    dir: &Path,
    name: &str,
    sdk: &Path,
) -> anyhow::Result<usize> {
    let mut written = 0;
    for file in template.files() {
        let relative = file.path().strip_prefix(root).expect("inside the template");
        let target = dir.join(relative);
        let text = file
            .contents_utf8()
            .expect("templates are text")
            .replace("{{name}}", name)
            .replace("{{sdk}}", &sdk.display().to_string());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
        #[cfg(unix)]
        if target.extension().is_some_and(|e| e == "sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
        }
        written += 1;
    }
    for sub in template.dirs() {
        written += write_template(sub, root, dir, name, sdk)?;
    }
    Ok(written)
}
