//! Limits on what one request may ask, checked before a query runs, and the codes of the errors async-graphql
//! itself raises.
//!
//! Depth, complexity and directives per field are async-graphql's own limits (set in [`super::build`]); aliases and
//! operations per document are counted here, right after parsing, so a query of thousands of aliases is refused
//! before validation (whose overlapping-fields rule is quadratic in the fields of a selection).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, Value};

use super::error::{code_if_missing, with_code};
use crate::auth::Principal;

/// The limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most nested selection levels.
    pub depth: usize,
    /// Most complexity (one per field, list fields times their `first`).
    pub complexity: usize,
    /// Most aliased fields in a document.
    pub aliases: usize,
    /// Most directives on one field.
    pub directives: usize,
    /// Most operations in one document.
    pub operations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 12,
            complexity: 5_000,
            aliases: 50,
            directives: 5,
            operations: 10,
        }
    }
}

impl Limits {
    /// The code of a document that does not parse.
    pub fn parse_failed(error: ServerError) -> ServerError {
        // The parser refuses nesting beyond its recursion limit before the depth limit can.
        let code = if error.message.contains("recursion limit") {
            "QUERY_TOO_DEEP"
        } else {
            "GRAPHQL_PARSE_FAILED"
        };
        with_code(error, code)
    }

    /// Refuses a document of too many operations or aliases.
    pub fn check_counts(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let refused = |code, counted: usize, what: &str, most: usize| {
            with_code(
                ServerError::new(
                    format!("{counted} {what} in one document; at most {most} are allowed"),
                    None,
                ),
                code,
            )
        };
        let operations = doc.operations.iter().count();
        if operations > self.operations {
            return Err(refused(
                "TOO_MANY_OPERATIONS",
                operations,
                "operations",
                self.operations,
            ));
        }
        let mut seen = Vec::new();
        let aliases: usize = doc
            .operations
            .iter()
            .map(|(_, op)| count_aliases(&op.node.selection_set.node, doc, &mut seen))
            .sum();
        if aliases > self.aliases {
            return Err(refused("TOO_MANY_ALIASES", aliases, "aliases", self.aliases));
        }
        Ok(())
    }

    /// What every request must pass once parsed, before it runs: a caller without credentials may only sign in
    /// (when anonymous reads are off, [`crate::auth::refuse_anonymous`]), and the document may hold only so many
    /// operations and aliases.
    pub fn admit(&self, principal: Option<&Principal>, doc: &ExecutableDocument) -> ServerResult<()> {
        crate::auth::refuse_anonymous(principal, doc)?;
        self.check_counts(doc)
    }

    /// Gives every error of `response` without a code one. A request error (one that stopped the document before it
    /// ran: no path, and no data) gets the code of the limit it broke (depth, complexity, directives; async-graphql
    /// checks these as it validates), or `GRAPHQL_VALIDATION_FAILED`; any other error left without a code is
    /// async-graphql's own, and `INTERNAL_SERVER_ERROR`.
    pub fn code_errors(response: &mut Response) {
        let nothing_ran = response.data == Value::Null;
        for error in &mut response.errors {
            let code = if nothing_ran && error.path.is_empty() {
                request_error_code(&error.message)
            } else {
                "INTERNAL_SERVER_ERROR"
            };
            code_if_missing(error, code);
        }
    }
}

/// The code of a request error without one, by async-graphql's message.
fn request_error_code(message: &str) -> &'static str {
    if message.contains("nested too deep") || message.contains("recursion depth") || message.contains("recursion limit")
    {
        "QUERY_TOO_DEEP"
    } else if message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if message.contains("directives") {
        "TOO_MANY_DIRECTIVES"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    }
}

fn count_aliases(set: &SelectionSet, doc: &ExecutableDocument, seen_fragments: &mut Vec<String>) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node, doc, seen_fragments)
            }
            Selection::InlineFragment(fragment) => {
                count_aliases(&fragment.node.selection_set.node, doc, seen_fragments)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.to_string();
                // Each fragment is counted once (a cycle is refused by validation later).
                if seen_fragments.contains(&name) {
                    return 0;
                }
                seen_fragments.push(name);
                doc.fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| count_aliases(&f.node.selection_set.node, doc, seen_fragments))
            }
        })
        .sum()
}
