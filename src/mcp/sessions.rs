//! Recorded sessions as resources: `klue://sessions/{name}`, a Markdown postmortem each
//! (the export of `klue export`), listed newest first.

use std::path::{Path, PathBuf};

use rmcp::ErrorData;
use rmcp::model::{Resource, ResourceContents, ResourceTemplate};

use crate::record::{self, SessionSummary, Timeline};

/// The URI scheme and path of a session resource.
pub const PREFIX: &str = "klue://sessions/";
pub const TEMPLATE: &str = "klue://sessions/{name}";
const MIME: &str = "text/markdown";

/// The resource URI of a recording file (`<dir>/<name>.jsonl` → `klue://sessions/<name>`).
pub fn uri_of(path: &Path) -> Option<String> {
    let name = path.file_stem()?.to_str()?;
    Some(format!("{PREFIX}{name}"))
}

/// Every recording in `dir` as a resource, newest first.
pub async fn list(dir: Option<&Path>) -> Result<Vec<Resource>, ErrorData> {
    let Some(dir) = dir.map(Path::to_path_buf) else {
        return Ok(Vec::new());
    };
    let listed = tokio::task::spawn_blocking(move || record::sessions::list(&dir))
        .await
        .map_err(|e| ErrorData::internal_error(format!("listing sessions failed: {e}"), None))?
        .map_err(|e| ErrorData::internal_error(format!("cannot list sessions: {e}"), None))?;
    Ok(listed.iter().filter_map(resource).collect())
}

fn resource(s: &SessionSummary) -> Option<Resource> {
    let uri = uri_of(&s.path)?;
    let name = uri.strip_prefix(PREFIX)?.to_string();
    let symptom = s
        .first_symptom
        .as_deref()
        .unwrap_or("(no symptom recorded)");
    let mut description = format!(
        "{}: {symptom} — {} ({} queries, context {})",
        s.started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        s.outcome,
        s.queries_run,
        s.context
    );
    if let Some(p) = &s.problem {
        description.push_str(&format!("; damaged: {p}"));
    }
    Some(
        Resource::new(uri, name)
            .with_title(crate::redact::redact(symptom))
            .with_description(crate::redact::redact(&description))
            .with_mime_type(MIME),
    )
}

/// The template clients fill in.
pub fn template() -> ResourceTemplate {
    ResourceTemplate::new(TEMPLATE, "session")
        .with_title("A recorded klue session")
        .with_description("A recorded investigation as a Markdown postmortem: symptom, conclusion, timeline, queries and their outputs (redacted).")
        .with_mime_type(MIME)
}

/// Read `klue://sessions/<name>` as Markdown.
pub async fn read(dir: Option<&Path>, uri: &str) -> Result<ResourceContents, ErrorData> {
    let path = path_of(dir, uri)?;
    let shown = uri.to_string();
    let rec = tokio::task::spawn_blocking(move || record::read(&path))
        .await
        .map_err(|e| ErrorData::internal_error(format!("reading {shown} failed: {e}"), None))?
        .map_err(|e| {
            ErrorData::internal_error(format!("cannot read the session {uri}: {e}"), None)
        })?;
    // The recording is redacted when written; redact once more in case it was written by an
    // older klue.
    let text = crate::redact::redact(&record::markdown::render(&Timeline::build(&rec)));
    Ok(ResourceContents::text(text, uri).with_mime_type(MIME))
}

/// The recording a URI names, or a resource-not-found error that says why.
fn path_of(dir: Option<&Path>, uri: &str) -> Result<PathBuf, ErrorData> {
    let Some(name) = uri.strip_prefix(PREFIX) else {
        return Err(ErrorData::resource_not_found(
            format!("unknown resource {uri}: klue serves {TEMPLATE}"),
            None,
        ));
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if !valid {
        return Err(ErrorData::resource_not_found(
            format!("`{name}` is not a session name (see the resource list)"),
            None,
        ));
    }
    let Some(dir) = dir else {
        return Err(ErrorData::resource_not_found(
            "no sessions directory: set XDG_STATE_HOME or HOME".to_string(),
            None,
        ));
    };
    let path = dir.join(format!("{name}.jsonl"));
    if !path.is_file() {
        return Err(ErrorData::resource_not_found(
            format!("no recorded session named `{name}`"),
            None,
        ));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_the_file_without_its_extension() {
        assert_eq!(
            uri_of(Path::new("/s/20260105-100000-ctx-mcp-1.jsonl")).as_deref(),
            Some("klue://sessions/20260105-100000-ctx-mcp-1")
        );
    }

    #[test]
    fn names_cannot_leave_the_sessions_directory() {
        let dir = Path::new("/tmp");
        for bad in [
            "klue://sessions/../etc/passwd",
            "klue://sessions/",
            "klue://sessions/a/b",
            "file:///etc/passwd",
            "klue://sessions/.hidden",
        ] {
            assert!(path_of(Some(dir), bad).is_err(), "{bad}");
        }
    }
}
