//! The extension of the websocket schema: operations over websockets get the checks and the finish that
//! [`crate::App::execute`] gives those over HTTP, from the same functions ([`Limits::admit`], [`super::nulls::fill`],
//! [`Limits::code_errors`]).
//!
//! async-graphql runs the operations of a websocket itself, so they can only be reached through an extension. HTTP
//! requests run on a schema without one: async-graphql wraps every field it resolves in the extensions a schema has,
//! a boxed future and a registry lookup per field even for an extension that does nothing there.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerResult, Variables};

use super::limits::Limits;
use super::nulls::{self, FieldTypes};
use crate::auth::Principal;

/// The factory, with the limits and the schema's field types.
#[derive(Debug, Clone)]
pub struct GatewayExtension {
    /// What a request may ask.
    pub limits: Limits,
    /// The schema's field types, for the nulls of failed fields.
    pub types: Arc<FieldTypes>,
}

impl ExtensionFactory for GatewayExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            limits: self.limits,
            types: Arc::clone(&self.types),
            document: Mutex::default(),
        })
    }
}

/// One request's state: its parsed document, kept for the nulls.
struct PerRequest {
    limits: Limits,
    types: Arc<FieldTypes>,
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for PerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        Limits::code_errors(&mut response);
        response
    }

    /// The document, refused when it does not parse or [`Limits::admit`] refuses it.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(Limits::parse_failed)?;
        self.limits.admit(ctx.data_opt::<Principal>(), &doc)?;
        *self.document.lock().unwrap_or_else(PoisonError::into_inner) = Some(doc.clone());
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let document = self.document.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(document) = document {
            nulls::fill(&mut response, &document, operation_name, &self.types);
        }
        response
    }
}
