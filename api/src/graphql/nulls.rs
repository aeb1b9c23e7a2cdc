//! Field errors as the GraphQL specification handles them (§6.4.4, "Handling Field Errors"): a failed field is
//! `null` when its type allows it; otherwise the null goes to its parent, up to the nearest field or list item that
//! may be null, or to `data` itself.
//!
//! async-graphql 7 reports the error of a failed field but leaves the field out of its object, and answers `null`
//! for an object all of whose fields failed: a client reading `data.channel.viewers` finds nothing rather than `null`,
//! and a channel whose one selected field was refused vanishes whole. [`fill`] puts the nulls where the specification
//! puts them, once a query or mutation has run: it follows each error's path through the document (response keys to
//! fields, through fragments) and the schema's types ([`FieldTypes`], read from its SDL once). Errors themselves are
//! left as they are. It costs nothing on an answer without field errors, and leaves async-graphql's execution on its
//! fast path (any schema extension would wrap every field it resolves).

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Response, Value};

/// Fragments nest at most this deep while a key is looked for (validation refuses cycles; this bounds the walk
/// whatever it is given).
const MAX_FRAGMENT_DEPTH: usize = 64;

/// The declared type of every field of every object and interface type, and the root types.
#[derive(Debug, Clone, Default)]
pub struct FieldTypes {
    fields: HashMap<(String, String), async_graphql::parser::types::Type>,
    query: String,
    mutation: String,
}

impl FieldTypes {
    /// The types of the schema whose SDL is `sdl` (a schema that does not parse has no types: nothing is filled).
    pub fn of(sdl: &str) -> Self {
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return Self::default();
        };
        let mut types = Self {
            query: "Query".into(),
            mutation: "Mutation".into(),
            ..Self::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(query) = schema.node.query {
                        types.query = query.node.to_string();
                    }
                    if let Some(mutation) = schema.node.mutation {
                        types.mutation = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let fields = match ty.node.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        _ => continue,
                    };
                    for field in fields {
                        types.fields.insert(
                            (ty.node.name.node.to_string(), field.node.name.node.to_string()),
                            field.node.ty.node,
                        );
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        types
    }

    fn field(&self, parent: &str, name: &str) -> Option<&async_graphql::parser::types::Type> {
        self.fields.get(&(parent.to_owned(), name.to_owned()))
    }
}

/// Puts the nulls of `response`'s field errors where the specification puts them; `operation` names the operation
/// of `document` that ran (none: its only one).
pub fn fill(response: &mut Response, document: &ExecutableDocument, operation: Option<&str>, types: &FieldTypes) {
    if response.errors.iter().all(|e| e.path.is_empty()) {
        return;
    }
    let Some(definition) = operation_of(document, operation) else {
        return;
    };
    let root = match definition.ty {
        OperationType::Query => types.query.as_str(),
        OperationType::Mutation => types.mutation.as_str(),
        OperationType::Subscription => return,
    };
    let mut here = Vec::new();
    let mut above = Vec::new();
    for error in &response.errors {
        let Some(nullable) = nullability(&error.path, definition, document, types, root) else {
            continue;
        };
        match nullable.iter().rposition(|n| *n) {
            Some(at) if at + 1 == nullable.len() => here.push(&error.path),
            Some(at) => above.push(Some(&error.path[..=at])),
            None => above.push(None),
        }
    }
    // Nulls in place first: a null carried to a parent afterwards replaces whatever was filled below it.
    for path in here {
        null_in_place(&mut response.data, path);
    }
    for path in above {
        match path {
            Some(path) => null_at(&mut response.data, path),
            None => response.data = Value::Null,
        }
    }
}

fn operation_of<'a>(document: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    let mut operations = document.operations.iter();
    match name {
        Some(name) => operations
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| &op.node),
        None => match (operations.next(), operations.next()) {
            (Some((_, op)), None) => Some(&op.node),
            _ => None,
        },
    }
}

/// For each segment of `path`, whether the value there may be null; `None` when the path leaves the known types
/// (introspection, or a path the document does not hold).
fn nullability(
    path: &[PathSegment],
    operation: &OperationDefinition,
    document: &ExecutableDocument,
    types: &FieldTypes,
    root: &str,
) -> Option<Vec<bool>> {
    let mut nullable = Vec::with_capacity(path.len());
    let mut parent = root.to_owned();
    let mut selections: Vec<&SelectionSet> = vec![&operation.selection_set.node];
    let mut current: Option<&async_graphql::parser::types::Type> = None;
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                let mut fields = Vec::new();
                for set in &selections {
                    with_key(set, key, document, 0, &mut fields);
                }
                let field = fields.first()?;
                let ty = types.field(&parent, field.name.node.as_str())?;
                nullable.push(ty.nullable);
                parent = named(ty).to_owned();
                current = Some(ty);
                selections = fields.iter().map(|f| &f.selection_set.node).collect();
            }
            PathSegment::Index(_) => {
                let BaseType::List(item) = &current?.base else {
                    return None;
                };
                nullable.push(item.nullable);
                current = Some(item);
            }
        }
    }
    Some(nullable)
}

/// The fields of `set` answering under `key`, through its fragments.
fn with_key<'a>(
    set: &'a SelectionSet,
    key: &str,
    document: &'a ExecutableDocument,
    depth: usize,
    found: &mut Vec<&'a Field>,
) {
    if depth > MAX_FRAGMENT_DEPTH {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) if field.node.response_key().node.as_str() == key => found.push(&field.node),
            Selection::Field(_) => {}
            Selection::InlineFragment(fragment) => {
                with_key(&fragment.node.selection_set.node, key, document, depth + 1, found);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    with_key(&fragment.node.selection_set.node, key, document, depth + 1, found);
                }
            }
        }
    }
}

fn named(ty: &async_graphql::parser::types::Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// `null` for a failed field that may be null, unless it answered after all. An object left out or answered `null`
/// on the way (async-graphql answers `null` for an object all of whose fields failed) was resolved, since a field
/// of it ran: it is put back, holding the nulls of its failed fields.
fn null_in_place(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut value = data;
    for segment in parents {
        value = match segment {
            PathSegment::Field(key) => {
                if matches!(value, Value::Null) {
                    *value = Value::Object(Default::default());
                }
                let Value::Object(fields) = value else { return };
                fields.entry(Name::new(key)).or_insert(Value::Null)
            }
            PathSegment::Index(index) => match value {
                Value::List(items) => match items.get_mut(*index) {
                    Some(item) => item,
                    None => return,
                },
                _ => return,
            },
        };
    }
    if matches!(value, Value::Null) {
        *value = Value::Object(Default::default());
    }
    if let (Value::Object(fields), PathSegment::Field(key)) = (value, last) {
        fields.entry(Name::new(key)).or_insert(Value::Null);
    }
}

/// `null` at `path`, whatever is there (a null carried up from a field that may not be null). Nothing when the path
/// is already cut short by a null above it.
fn null_at(data: &mut Value, path: &[PathSegment]) {
    let mut value = data;
    for segment in path {
        value = match (segment, value) {
            (PathSegment::Field(key), Value::Object(fields)) => fields.entry(Name::new(key)).or_insert(Value::Null),
            (PathSegment::Index(index), Value::List(items)) => match items.get_mut(*index) {
                Some(item) => item,
                None => return,
            },
            _ => return,
        };
    }
    *value = Value::Null;
}

#[cfg(test)]
mod tests {
    use async_graphql::{ServerError, value};

    use super::*;

    const SDL: &str = "
        type Query { channel(id: ID!): Channel  ranking: [Row!]!  must: Channel! }
        type Channel { login: String!  viewers: [Int!]  game: Game }
        type Game { name: String!  art: String }
        type Row { rank: Int!  channel: Channel }
        schema { query: Query }
    ";

    fn error(path: &[PathSegment]) -> ServerError {
        let mut error = ServerError::new("refused", None);
        error.path = path.to_vec();
        error
    }

    fn field(key: &str) -> PathSegment {
        PathSegment::Field(key.into())
    }

    fn filled(query: &str, data: Value, paths: &[&[PathSegment]]) -> Value {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(data);
        response.errors = paths.iter().map(|p| error(p)).collect();
        fill(&mut response, &document, None, &FieldTypes::of(SDL));
        assert_eq!(response.errors.len(), paths.len(), "errors are kept");
        response.data
    }

    #[test]
    fn a_failed_nullable_field_is_null_beside_the_others() {
        let data = filled(
            "{ channel(id: 1) { login viewers } }",
            value!({ "channel": { "login": "a" } }),
            &[&[field("channel"), field("viewers")]],
        );
        assert_eq!(data, value!({ "channel": { "login": "a", "viewers": null } }));
    }

    #[test]
    fn an_object_whose_only_field_failed_is_put_back_with_its_null() {
        let data = filled(
            "{ c: channel(id: 1) { v: viewers } }",
            value!({ "c": null }),
            &[&[field("c"), field("v")]],
        );
        assert_eq!(data, value!({ "c": { "v": null } }), "aliases are response keys");
    }

    #[test]
    fn a_failed_non_null_field_nulls_its_nearest_nullable_parent() {
        let data = filled(
            "{ ranking { rank channel { login game { name art } } } }",
            value!({ "ranking": [
                { "rank": 1, "channel": { "login": "a", "game": { "art": "x" } } },
                { "rank": 2, "channel": { "login": "b", "game": { "name": "g", "art": "y" } } }
            ] }),
            &[&[
                field("ranking"),
                PathSegment::Index(0),
                field("channel"),
                field("game"),
                field("name"),
            ]],
        );
        assert_eq!(
            data,
            value!({ "ranking": [
                { "rank": 1, "channel": { "login": "a", "game": null } },
                { "rank": 2, "channel": { "login": "b", "game": { "name": "g", "art": "y" } } }
            ] })
        );
    }

    #[test]
    fn a_null_carried_past_non_null_items_and_fields_reaches_data() {
        let data = filled(
            "{ ranking { rank } channel(id: 1) { login } }",
            value!({ "ranking": [{}], "channel": { "login": "a" } }),
            &[&[field("ranking"), PathSegment::Index(0), field("rank")]],
        );
        assert_eq!(data, Value::Null);
        let data = filled("{ must { login } }", value!({}), &[&[field("must")]]);
        assert_eq!(data, Value::Null);
    }

    #[test]
    fn fields_selected_through_fragments_are_found() {
        let data = filled(
            "query { channel(id: 1) { ...parts ... on Channel { game { art } } } } fragment parts on Channel { login }",
            value!({ "channel": { "login": "a", "game": {} } }),
            &[&[field("channel"), field("game"), field("art")]],
        );
        assert_eq!(data, value!({ "channel": { "login": "a", "game": { "art": null } } }));
    }

    #[test]
    fn a_field_that_answered_and_paths_outside_the_schema_are_left_alone() {
        let answered = value!({ "channel": { "login": "a", "viewers": [1] } });
        let data = filled(
            "{ channel(id: 1) { login viewers } __schema { types { name } } }",
            answered.clone(),
            &[
                &[field("channel"), field("viewers")],
                &[field("__schema"), field("types")],
                &[field("nothing")],
            ],
        );
        assert_eq!(data, answered);
    }
}
