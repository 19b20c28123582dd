use thiserror::Error;

/// Why a raw value was refused. The edge adds the field name; the variant is
/// the machine-readable part.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("contains characters that are not allowed")]
    InvalidCharacters,
    #[error("must be between {min} and {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("is not one of: {allowed}")]
    UnknownVariant { allowed: &'static str },
    #[error("{0}")]
    Invalid(&'static str),
}

impl ValueError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            ValueError::Empty => "empty",
            ValueError::TooLong { .. } => "too_long",
            ValueError::InvalidCharacters => "invalid_characters",
            ValueError::OutOfRange { .. } => "out_of_range",
            ValueError::UnknownVariant { .. } => "unknown_variant",
            ValueError::Invalid(_) => "invalid",
        }
    }
}

/// Length check in characters (not bytes), shared by every bounded string.
pub(crate) fn check_length(raw: &str, min: usize, max: usize) -> Result<(), ValueError> {
    let len = raw.chars().count();
    if len == 0 && min > 0 {
        return Err(ValueError::Empty);
    }
    if len > max {
        return Err(ValueError::TooLong { max });
    }
    Ok(())
}
