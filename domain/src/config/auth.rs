//! Authentication settings: the first admin, the tokens the gateway issues (HS256), tokens from an external issuer
//! (JWKS), and whether callers without credentials may read.

use std::fmt;
use std::time::Duration;

/// How callers prove who they are.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Login of the admin created on first start.
    pub admin_login: String,
    /// That admin's password; when unset, one is generated and printed once, when the admin is created.
    pub admin_password: Option<String>,
    /// Secret that signs and checks the gateway's own tokens (HS256); when unset, a random one is kept in the
    /// metadata store, shared by every replica.
    pub jwt_secret: Option<String>,
    /// `iss` of the gateway's tokens, required on every one.
    pub jwt_issuer: String,
    /// `aud` of the gateway's tokens, required on every one.
    pub jwt_audience: String,
    /// How long a token from `login` is valid.
    pub jwt_ttl: Duration,
    /// Keys of an external issuer (e.g. Cognito): tokens signed with RS256 or ES256 by one of them are accepted.
    pub jwks: Option<JwksConfig>,
    /// Whether callers without credentials may read (as viewers).
    pub anonymous: bool,
}

/// An external token issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksConfig {
    /// Where its JSON Web Key Set is published.
    pub url: String,
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` (or Cognito `client_id`) its tokens carry.
    pub audience: String,
    /// The claim holding the caller's role or groups (a string or a list; the highest known role wins).
    pub role_claim: String,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("admin_login", &self.admin_login)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "[redacted]"))
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "[redacted]"))
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("jwt_ttl", &self.jwt_ttl)
            .field("jwks", &self.jwks)
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            admin_login: "admin".to_owned(),
            admin_password: None,
            jwt_secret: None,
            jwt_issuer: "streamlens".to_owned(),
            jwt_audience: "streamlens".to_owned(),
            jwt_ttl: Duration::from_secs(12 * 3600),
            jwks: None,
            anonymous: true,
        }
    }
}
