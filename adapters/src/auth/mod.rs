//! WaveStack's own tokens: RS256 JWTs signed with keys kept in a key
//! directory, checked against the same keys, granted to configured service
//! clients whose secrets are stored only as argon2 hashes.

mod argon2_memory;
mod clients;
mod keys;
mod passwords;
mod scope;
mod sessions;
mod team;
mod tokens;

pub use clients::{generate_secret, hash_secret, ClientConfig, ClientRegistry, ServiceClient};
pub use keys::{KeyStore, SigningKey};
pub use passwords::{check_password, MemberPasswords, PasswordError, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
pub use scope::{Scope, ScopeSet, UnknownScope};
pub use sessions::{csrf_matches, csrf_of, NewSession, Session, Sessions, IDLE, LIFETIME};
pub use team::{
    add_member, member_of, member_subject, new_overlay_key, overlay_key_digest, role_scopes, set_password,
    AddMemberError,
};
pub use tokens::{Claims, IssuedToken, Principal, TokenError, TokenSettings, Tokens};
