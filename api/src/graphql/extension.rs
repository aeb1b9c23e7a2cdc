//! The schema's one extension: the limits' codes and counts ([`super::limits`]), the sign-in check for callers
//! without credentials ([`crate::auth::refuse_anonymous`]) and field errors as null ([`super::nulls`]).
//!
//! They are one extension rather than three because async-graphql runs every extension around every field it
//! resolves (a boxed future per extension per field, after looking the field's type up): one extension is one
//! layer around each field, whatever the number of concerns.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest, NextResolve,
    NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::limits::Limits;
use super::nulls::FieldErrorsAsNull;
use crate::auth::Principal;

/// The factory, with the limits.
#[derive(Debug, Clone, Copy)]
pub struct GatewayExtension(pub Limits);

impl ExtensionFactory for GatewayExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            limits: self.0,
            nulls: FieldErrorsAsNull::default(),
        })
    }
}

/// One request's state.
struct PerRequest {
    limits: Limits,
    nulls: FieldErrorsAsNull,
}

#[async_trait::async_trait]
impl Extension for PerRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        Limits::uncoded_are_internal(next.run(ctx).await)
    }

    /// The document, refused when it does not parse, when the caller may not run it, or when it has too many
    /// operations or aliases (in that order).
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(Limits::parse_failed)?;
        crate::auth::refuse_anonymous(ctx.data_opt::<Principal>(), &doc)?;
        self.limits.check_counts(&doc)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(Limits::validation_failed)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.nulls.start();
        self.nulls.finish(next.run(ctx, operation_name).await)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let return_type = info.return_type;
        self.nulls.catch(return_type, next.run(ctx, info).await)
    }
}
