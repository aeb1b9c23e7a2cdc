//! Limits on what one request may ask, checked before a query runs, and the codes of the errors async-graphql
//! itself raises.
//!
//! Depth, complexity and directives per field are async-graphql's own limits (set in [`super::build`]); aliases and
//! operations per document are counted here, right after parsing, so a query of thousands of aliases is refused
//! before validation (whose overlapping-fields rule is quadratic in the fields of a selection).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult};

use super::error::with_code;

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

    /// The codes of async-graphql's own validation errors (its depth, complexity and directive limits among them).
    pub fn validation_failed(errors: Vec<ServerError>) -> Vec<ServerError> {
        errors
            .into_iter()
            .map(|e| {
                let code = if e.message.contains("nested too deep") {
                    "QUERY_TOO_DEEP"
                } else if e.message.contains("too complex") {
                    "QUERY_TOO_COMPLEX"
                } else if e.message.contains("directives") {
                    "TOO_MANY_DIRECTIVES"
                } else {
                    "GRAPHQL_VALIDATION_FAILED"
                };
                with_code(e, code)
            })
            .collect()
    }

    /// Whatever failed without saying how (async-graphql's own errors) is an internal error to the client.
    pub fn uncoded_are_internal(mut response: Response) -> Response {
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| with_code(e, "INTERNAL_SERVER_ERROR"))
            .collect();
        response
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
