//! Tokens: the gateway's own (HS256, issued by `login`) and an external issuer's (RS256 or ES256, checked against the
//! keys its JWKS URL publishes).
//!
//! Every token must carry `exp`, `iss` and `aud`, and they must match the configuration (jsonwebtoken checks `iss`
//! and `aud` only when present unless they are required, so they are). The algorithm is fixed per issuer: an HS256
//! token is checked only with the secret, an RS256/ES256 token only with a published key of the same family, so a
//! token whose `alg` was swapped is refused. Clocks may differ by 60 seconds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use streamlens_domain::config::{AuthConfig, JwksConfig};
use tokio::sync::RwLock;

use super::{AuthError, Role, Unauthenticated};

/// The claims of a token `login` issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's login.
    pub sub: String,
    /// The issuer.
    pub iss: String,
    /// The audience.
    pub aud: String,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// The role when issued, for clients to read; the gateway reads the user's current role from the store.
    pub role: Role,
}

/// A token issued by `login`.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The bearer token.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Who a valid token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// A user of this gateway.
    Local {
        /// Their login.
        login: String,
    },
    /// A caller the external issuer vouches for.
    External {
        /// Their `sub`.
        subject: String,
        /// The values of the role claim.
        roles: Vec<String>,
    },
}

/// Issues and checks tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    local: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
    external: Option<External>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// The external issuer: its settings and the keys last fetched.
struct External {
    config: JwksConfig,
    keys: RwLock<(JwkSet, Option<Instant>)>,
    client: reqwest::Client,
}

/// Unknown key ids fetch the set again at most this often.
const JWKS_REFRESH: Duration = Duration::from_secs(60);

fn required(issuer: &str, audience: &str, algorithms: Vec<Algorithm>) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.algorithms = algorithms;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation
}

fn refused(error: jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind;
    let why = match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired: log in again",
        ErrorKind::InvalidIssuer => "the token is from another issuer",
        ErrorKind::InvalidAudience => "the token is for another audience",
        ErrorKind::InvalidSignature => "the token's signature does not match",
        ErrorKind::InvalidAlgorithm => "the token is signed with an algorithm this issuer does not use",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss, aud, sub)",
        _ => "the token is not valid",
    };
    Unauthenticated(why.to_owned()).into()
}

impl Tokens {
    /// Tokens signed with `secret`, per `config`.
    pub fn new(config: &AuthConfig, secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            local: required(&config.jwt_issuer, &config.jwt_audience, vec![Algorithm::HS256]),
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.jwt_ttl,
            external: config.jwks.clone().map(|config| External {
                config,
                keys: RwLock::new((JwkSet { keys: Vec::new() }, None)),
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap_or_default(),
            }),
        }
    }

    /// A token for `login`.
    pub fn issue(&self, login: &str, role: Role) -> Result<Issued, AuthError> {
        let now = Utc::now();
        let expires_at = now + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(12));
        let claims = Claims {
            sub: login.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            role,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Internal(format!("signing a token: {e}")))?;
        Ok(Issued { token, expires_at })
    }

    /// Who `token` names, if it is valid.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = decode_header(token).map_err(|_| Unauthenticated("the token is not a JWT".to_owned()))?;
        match header.alg {
            Algorithm::HS256 => {
                let data = decode::<Claims>(token, &self.decoding, &self.local).map_err(refused)?;
                Ok(Verified::Local { login: data.claims.sub })
            }
            Algorithm::RS256 | Algorithm::ES256 => match &self.external {
                Some(external) => external.verify(token, header.alg, header.kid.as_deref()).await,
                None => Err(Unauthenticated(
                    "tokens signed with RS256 or ES256 need an external issuer (STREAMLENS_JWKS_URL)".to_owned(),
                )
                .into()),
            },
            other => Err(Unauthenticated(format!("tokens signed with {other:?} are not accepted")).into()),
        }
    }
}

impl External {
    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        let keys = self.keys.read().await;
        keys.0.find(kid).and_then(|jwk| DecodingKey::from_jwk(jwk).ok())
    }

    /// Fetches the key set again, unless it was fetched less than a minute ago.
    async fn refresh(&self) -> Result<(), AuthError> {
        let mut keys = self.keys.write().await;
        if keys.1.is_some_and(|at| at.elapsed() < JWKS_REFRESH) {
            return Ok(());
        }
        keys.1 = Some(Instant::now());
        let fetched = async {
            self.client
                .get(&self.config.url)
                .send()
                .await?
                .error_for_status()?
                .json::<JwkSet>()
                .await
        }
        .await;
        match fetched {
            Ok(set) => {
                keys.0 = set;
                Ok(())
            }
            Err(error) => {
                tracing::warn!(url = %self.config.url, %error, "the external issuer's keys could not be fetched");
                Ok(())
            }
        }
    }

    async fn verify(&self, token: &str, alg: Algorithm, kid: Option<&str>) -> Result<Verified, AuthError> {
        let Some(kid) = kid else {
            return Err(Unauthenticated("the token names no key (`kid`)".to_owned()).into());
        };
        let key = match self.key(kid).await {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.key(kid)
                    .await
                    .ok_or_else(|| Unauthenticated(format!("the external issuer has no key {kid:?}")))?
            }
        };
        let validation = required(&self.config.issuer, &self.config.audience, vec![alg]);
        let data = decode::<HashMap<String, Value>>(token, &key, &validation).map_err(refused)?;
        let subject = data
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let roles = match data.claims.get(&self.config.role_claim) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(values)) => values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        Ok(Verified::External { subject, roles })
    }
}
