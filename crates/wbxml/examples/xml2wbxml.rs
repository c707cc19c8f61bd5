//! Converts XML-form documents (the corpus) to WBXML files.
//!
//! `xml2wbxml OUT_DIR FILE.xml...` writes each FILE.xml as OUT_DIR/FILE.wbxml (used by
//! `scripts/fuzz.sh` for seeds). `xml2wbxml --bundle K OUT_FILE FILE.xml...` writes one document
//! whose root `AirSync:Sync` holds K copies of every FILE's tree in turn: a large input that
//! makes process start-up negligible when timing libwbxml's tools (`scripts/bench-libwbxml.sh`).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--bundle") {
        return bundle(&args[1..]);
    }
    let Some((out_dir, files)) = args.split_first() else {
        eprintln!(
            "usage: xml2wbxml OUT_DIR FILE.xml... | xml2wbxml --bundle K OUT_FILE FILE.xml..."
        );
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        eprintln!("cannot create {out_dir}: {e}");
        return ExitCode::FAILURE;
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let path = Path::new(file);
        let result = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| eas_wbxml::from_xml(&text).map_err(|e| e.to_string()));
        match result {
            Ok(tree) => {
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                let out = Path::new(out_dir).join(format!("{stem}.wbxml"));
                if let Err(e) = std::fs::write(&out, eas_wbxml::encode(&tree)) {
                    eprintln!("{}: {e}", out.display());
                    status = ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

fn bundle(args: &[String]) -> ExitCode {
    let (Some(k), Some(out), files) = (
        args.first().and_then(|k| k.parse::<usize>().ok()),
        args.get(1),
        args.get(2..).unwrap_or_default(),
    ) else {
        eprintln!("usage: xml2wbxml --bundle K OUT_FILE FILE.xml...");
        return ExitCode::from(2);
    };
    let mut trees = Vec::new();
    for file in files {
        match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| eas_wbxml::from_xml(&t).map_err(|e| e.to_string()))
        {
            Ok(tree) => trees.push(tree),
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut root = eas_wbxml::Element::new(eas_wbxml::tags::air_sync::SYNC);
    for _ in 0..k {
        for tree in &trees {
            root.push(tree.clone());
        }
    }
    match std::fs::write(out, eas_wbxml::encode(&root)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{out}: {e}");
            ExitCode::FAILURE
        }
    }
}
