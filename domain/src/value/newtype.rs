/// The glue every string-backed value type shares, so serde and conversions
/// always go through the type's own `parse` and nothing else: `as_str`,
/// `TryFrom<String>` (what `#[serde(try_from = "String")]` calls),
/// `From<T> for String` and `Display`. The type needs a `parse` taking a
/// `String` and returning `Result<Self, ValueError>`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::value::ValueError;
            fn try_from(raw: String) -> Result<Self, $crate::value::ValueError> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use string_newtype;
