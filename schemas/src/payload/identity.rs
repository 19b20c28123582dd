use apache_avro::types::Value;
use wavestack_domain::identity::*;
use wavestack_domain::value::*;

use super::accounts;
use crate::error::CodecError;
use crate::fields::{branch, record, string, timestamp, Fields};

fn account_list(items: &[Account]) -> Value {
    Value::Array(items.iter().map(|a| string(a.to_string())).collect())
}

pub(crate) fn to_avro(event: &IdentityEvent) -> Value {
    let (index, value) = match event {
        IdentityEvent::LinkCodeIssued(e) => (
            0,
            record([
                ("issued_by", string(e.issued_by.to_string())),
                ("code_digest", string(e.code_digest.as_str())),
                ("expires_at", timestamp(e.expires_at)),
                ("issued_at", timestamp(e.issued_at)),
            ]),
        ),
        IdentityEvent::LinkAttemptFailed(e) => (1, record([("at", timestamp(e.at))])),
        IdentityEvent::CodeRedeemed(e) => (
            2,
            record([
                ("merge_id", Value::Uuid(e.merge_id)),
                ("from_root", string(e.from_root.to_string())),
                ("accounts", account_list(&e.accounts)),
                ("redeemed_at", timestamp(e.redeemed_at)),
            ]),
        ),
        IdentityEvent::PersonJoined(e) => (
            3,
            record([
                ("root", string(e.root.to_string())),
                ("from_root", string(e.from_root.to_string())),
                ("merge_id", Value::Uuid(e.merge_id)),
                ("at", timestamp(e.at)),
            ]),
        ),
        IdentityEvent::AccountsJoined(e) => (
            4,
            record([
                ("merge_id", Value::Uuid(e.merge_id)),
                ("accounts", account_list(&e.accounts)),
                ("at", timestamp(e.at)),
            ]),
        ),
        IdentityEvent::AccountUnlinked(e) => {
            (5, record([("account", string(e.account.to_string())), ("at", timestamp(e.at))]))
        }
        IdentityEvent::PersonLeft(e) => (6, record([("root", string(e.root.to_string())), ("at", timestamp(e.at))])),
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<IdentityEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    let account = |f: &mut Fields, field| f.parsed(field, |raw: String| Account::parse(&raw));
    Ok(match index {
        0 => IdentityEvent::LinkCodeIssued(LinkCodeIssued {
            issued_by: account(&mut f, "issued_by")?,
            code_digest: f.string("code_digest")?,
            expires_at: f.timestamp("expires_at")?,
            issued_at: f.timestamp("issued_at")?,
        }),
        1 => IdentityEvent::LinkAttemptFailed(LinkAttemptFailed { at: f.timestamp("at")? }),
        2 => IdentityEvent::CodeRedeemed(CodeRedeemed {
            merge_id: f.uuid("merge_id")?,
            from_root: account(&mut f, "from_root")?,
            accounts: accounts(f.array("accounts")?, "accounts")?,
            redeemed_at: f.timestamp("redeemed_at")?,
        }),
        3 => IdentityEvent::PersonJoined(PersonJoined {
            root: account(&mut f, "root")?,
            from_root: account(&mut f, "from_root")?,
            merge_id: f.uuid("merge_id")?,
            at: f.timestamp("at")?,
        }),
        4 => IdentityEvent::AccountsJoined(AccountsJoined {
            merge_id: f.uuid("merge_id")?,
            accounts: accounts(f.array("accounts")?, "accounts")?,
            at: f.timestamp("at")?,
        }),
        5 => IdentityEvent::AccountUnlinked(AccountUnlinked {
            account: account(&mut f, "account")?,
            at: f.timestamp("at")?,
        }),
        6 => IdentityEvent::PersonLeft(PersonLeft { root: account(&mut f, "root")?, at: f.timestamp("at")? }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known identity event" }),
    })
}
