//! Who may use the HTTP control endpoints: bearer tokens (JWT, HS256, with an expiry, a subject
//! and a role claim) checked by the `jsonwebtoken` crate, and a request budget per client
//! address. Pure: the web layer passes the Authorization header, the address and the clock.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// What a token allows; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads: the live page, campaign progress and reports.
    Viewer,
    /// Drives campaigns: create, start, pause, resume, contact imports, exports.
    Operator,
    /// Everything, including stopping a campaign.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

/// A secret from the configuration: compared and used, never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// HS256 keys shorter than the hash (32 bytes) are refused: they can be guessed offline.
    pub const MIN_BYTES: usize = 32;

    pub fn new(text: &str) -> Result<Secret, String> {
        if !text.is_empty() && text.len() < Self::MIN_BYTES {
            return Err(format!("a JWT secret has at least {} bytes (this one has {})", Self::MIN_BYTES, text.len()));
        }
        Ok(Secret(text.to_string()))
    }

    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    pub fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_set() { "Secret(<hidden>)" } else { "Secret(<unset>)" })
    }
}

/// The holder of a valid token.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Denied {
    /// No token configured on this node: the control endpoints are off.
    Disabled,
    Missing,
    /// Not a token, a bad signature, expired, or a claim missing or wrong (the reason).
    Invalid(String),
    /// A valid token whose role is below what the endpoint needs.
    Forbidden { have: Role, need: Role },
}

impl Denied {
    /// The HTTP status: 401 asks for (another) token, 403 says this one is not enough.
    pub fn status(&self) -> u16 {
        match self {
            Denied::Disabled => 503,
            Denied::Missing | Denied::Invalid(_) => 401,
            Denied::Forbidden { .. } => 403,
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Disabled => write!(f, "control endpoints are off: no [http] jwt_secret in minibot.conf"),
            Denied::Missing => write!(f, "a bearer token is required (Authorization: Bearer <JWT>)"),
            Denied::Invalid(reason) => write!(f, "invalid token: {reason}"),
            Denied::Forbidden { have, need } => write!(f, "role {} cannot do this (needs {})", have.as_str(), need.as_str()),
        }
    }
}

/// Checks the `Authorization` header's bearer token against `secret` and the role `need`.
pub fn authorize(authorization: Option<&str>, secret: &Secret, need: Role) -> Result<Caller, Denied> {
    if !secret.is_set() {
        return Err(Denied::Disabled);
    }
    let header = authorization.map(str::trim).filter(|h| !h.is_empty()).ok_or(Denied::Missing)?;
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(Denied::Invalid("not a bearer token".into())),
    };
    let caller = decode(token, secret)?;
    if caller.role < need {
        return Err(Denied::Forbidden { have: caller.role, need });
    }
    Ok(caller)
}

/// Longest a token made here lives (days): a forgotten token stops working within the year.
pub const MAX_TOKEN_DAYS: u32 = 366;

/// A token for `subject` with `role`, valid `days` from `now_unix` (seconds), signed with
/// `secret`: what `minibot token create` prints (no other tool needed).
pub fn issue(secret: &Secret, subject: &str, role: Role, days: u32, now_unix: u64) -> Result<String, String> {
    use jsonwebtoken::{encode, EncodingKey, Header};
    if !secret.is_set() {
        return Err("no [http] jwt_secret in minibot.conf: set one (32 bytes or more), reload, then create tokens".into());
    }
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > 64 {
        return Err("a subject is 1 to 64 characters (who the token is for)".into());
    }
    if days == 0 || days > MAX_TOKEN_DAYS {
        return Err(format!("a token lives 1 to {MAX_TOKEN_DAYS} days"));
    }
    let claims = serde_json::json!({"sub": subject, "role": role.as_str(), "iat": now_unix, "exp": now_unix + u64::from(days) * 86_400});
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.bytes())).map_err(|e| format!("cannot sign the token: {e}"))
}

fn decode(token: &str, secret: &Secret) -> Result<Caller, Denied> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let mut validation = Validation::new(Algorithm::HS256); // only HS256: "none" and others refused
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.leeway = 30; // seconds of clock skew between the issuer and this node
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &DecodingKey::from_secret(secret.bytes()), &validation)
        .map_err(|e| Denied::Invalid(describe(e.kind())))?;
    let claims = data.claims;
    let subject = claims["sub"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| Denied::Invalid("no subject (sub)".into()))?;
    let role = claims["role"].as_str().ok_or_else(|| Denied::Invalid("no role claim".into()))?;
    let role = Role::parse(role).ok_or_else(|| Denied::Invalid(format!("unknown role '{}'", role.chars().take(20).collect::<String>())))?;
    Ok(Caller { subject: subject.chars().take(64).collect(), role })
}

fn describe(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "expired".into(),
        K::InvalidSignature => "bad signature".into(),
        K::InvalidAlgorithm | K::InvalidAlgorithmName => "algorithm is not HS256".into(),
        K::MissingRequiredClaim(claim) => format!("no {claim} claim"),
        K::ImmatureSignature => "not valid yet (nbf)".into(),
        K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => "malformed".into(),
        _ => "rejected".into(),
    }
}

/// At most `per_minute` requests per client address, refilled continuously (a token bucket:
/// a burst up to the whole minute's budget, then one every 60/per_minute s).
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    by_address: HashMap<String, (f64, Instant)>,
    swept: Option<Instant>,
}

/// Addresses remembered at most. Past it, idle clients (full buckets) are forgotten, at most
/// once a second; a new address that still finds no room waits like an over-budget one.
const MAX_CLIENTS: usize = 10_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter { per_minute: per_minute.max(1), buckets: Mutex::new(Buckets { by_address: HashMap::new(), swept: None }) }
    }

    /// Ok, or how long the client should wait.
    pub fn allow(&self, address: &str, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock();
        let Buckets { by_address, swept } = &mut *buckets;
        if by_address.len() >= MAX_CLIENTS && !by_address.contains_key(address) {
            if swept.is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1)) {
                *swept = Some(now);
                by_address.retain(|_, (tokens, at)| *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second < capacity);
            }
            if by_address.len() >= MAX_CLIENTS {
                return Err(Duration::from_secs(1));
            }
        }
        let (tokens, at) = by_address.entry(address.to_string()).or_insert((capacity, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn token(secret: &str, claims: serde_json::Value) -> String {
        encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    /// A token made by `issue` is the one `authorize` accepts, with its subject, role and expiry.
    #[test]
    fn issued_tokens_authorize_their_role_until_they_expire() {
        let secret = Secret::new(SECRET).unwrap();
        let made = issue(&secret, "crm-sync", Role::Operator, 30, now()).unwrap();
        let bearer = format!("Bearer {made}");
        assert_eq!(authorize(Some(&bearer), &secret, Role::Operator).unwrap(), Caller { subject: "crm-sync".into(), role: Role::Operator });
        assert!(authorize(Some(&bearer), &secret, Role::Admin).is_err());
        let expired = issue(&secret, "old", Role::Admin, 1, now() - 3 * 86_400).unwrap();
        assert!(matches!(authorize(Some(&format!("Bearer {expired}")), &secret, Role::Viewer), Err(Denied::Invalid(_))));
        assert!(issue(&Secret::default(), "x", Role::Viewer, 1, now()).unwrap_err().contains("jwt_secret"));
        assert!(issue(&secret, " ", Role::Viewer, 1, now()).is_err());
        assert!(issue(&secret, "x", Role::Viewer, 0, now()).is_err() && issue(&secret, "x", Role::Viewer, MAX_TOKEN_DAYS + 1, now()).is_err());
    }

    #[test]
    fn tokens_are_checked_for_signature_expiry_and_role() {
        let secret = Secret::new(SECRET).unwrap();
        let good = token(SECRET, json!({"sub": "alice", "role": "operator", "exp": now() + 600}));
        let bearer = format!("Bearer {good}");
        assert_eq!(authorize(Some(&bearer), &secret, Role::Viewer).unwrap(), Caller { subject: "alice".into(), role: Role::Operator });
        assert!(authorize(Some(&bearer), &secret, Role::Operator).is_ok());
        assert_eq!(authorize(Some(&bearer), &secret, Role::Admin).unwrap_err(), Denied::Forbidden { have: Role::Operator, need: Role::Admin });
        assert_eq!(authorize(None, &secret, Role::Viewer).unwrap_err(), Denied::Missing);
        assert_eq!(authorize(Some(&good), &secret, Role::Viewer).unwrap_err().status(), 401, "no Bearer scheme");
        let expired = token(SECRET, json!({"sub": "alice", "role": "admin", "exp": now() - 120}));
        assert_eq!(authorize(Some(&format!("Bearer {expired}")), &secret, Role::Viewer).unwrap_err(), Denied::Invalid("expired".into()));
        let forged = token("another secret, another secret, another", json!({"sub": "eve", "role": "admin", "exp": now() + 600}));
        assert_eq!(authorize(Some(&format!("Bearer {forged}")), &secret, Role::Viewer).unwrap_err(), Denied::Invalid("bad signature".into()));
        let no_exp = token(SECRET, json!({"sub": "alice", "role": "admin"}));
        assert_eq!(authorize(Some(&format!("Bearer {no_exp}")), &secret, Role::Viewer).unwrap_err(), Denied::Invalid("no exp claim".into()));
        let no_role = token(SECRET, json!({"sub": "alice", "exp": now() + 600}));
        assert_eq!(authorize(Some(&format!("Bearer {no_role}")), &secret, Role::Viewer).unwrap_err(), Denied::Invalid("no role claim".into()));
        let bad_role = token(SECRET, json!({"sub": "alice", "role": "root", "exp": now() + 600}));
        assert!(matches!(authorize(Some(&format!("Bearer {bad_role}")), &secret, Role::Viewer), Err(Denied::Invalid(_))));
        // alg "none": header {"alg":"none"}, no signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJldmUiLCJyb2xlIjoiYWRtaW4iLCJleHAiOjQxMDI0NDQ4MDB9.";
        assert!(matches!(authorize(Some(&format!("Bearer {none}")), &secret, Role::Viewer), Err(Denied::Invalid(_))));
        assert_eq!(authorize(Some("Bearer x.y.z"), &secret, Role::Viewer).unwrap_err(), Denied::Invalid("malformed".into()));
        assert_eq!(authorize(Some(&bearer), &Secret::default(), Role::Viewer).unwrap_err(), Denied::Disabled);
    }

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert!(Secret::new("short").is_err());
        let secret = Secret::new(SECRET).unwrap();
        assert!(!format!("{secret:?}").contains("0123"));
    }

    #[test]
    fn the_budget_is_per_address_and_refills() {
        let limiter = RateLimiter::new(3);
        let t = Instant::now();
        for _ in 0..3 {
            assert!(limiter.allow("10.0.0.1", t).is_ok());
        }
        let wait = limiter.allow("10.0.0.1", t).unwrap_err();
        assert!((19.0..=20.1).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(limiter.allow("10.0.0.2", t).is_ok(), "another client has its own budget");
        assert!(limiter.allow("10.0.0.1", t + Duration::from_secs(21)).is_ok(), "refilled");
    }

    #[test]
    fn many_addresses_do_not_grow_the_limiter_without_bound() {
        let limiter = RateLimiter::new(60);
        let t = Instant::now();
        for i in 0..MAX_CLIENTS {
            assert!(limiter.allow(&format!("2001:db8::{i:x}"), t).is_ok());
        }
        // Every bucket is in use: a new address waits; once the others are idle it gets room.
        assert!(limiter.allow("2001:db8::ffff:1", t).is_err());
        assert!(limiter.allow("2001:db8::ffff:1", t + Duration::from_secs(5)).is_ok());
        assert!(limiter.buckets.lock().by_address.len() <= MAX_CLIENTS);
    }
}
