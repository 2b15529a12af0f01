//! The program's error codes as names and sentences for people, read from the
//! committed IDL (which a test keeps in step with the program).

use std::{collections::HashMap, sync::OnceLock};

/// A program error: Anchor's own (2000-5999) or Ignis' (6000 and up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramErrorInfo {
    pub code: u32,
    pub name: &'static str,
    pub message: &'static str,
}

fn ignis_errors() -> &'static HashMap<u32, ProgramErrorInfo> {
    static ERRORS: OnceLock<HashMap<u32, ProgramErrorInfo>> = OnceLock::new();
    ERRORS.get_or_init(|| {
        let idl: serde_json::Value = serde_json::from_str(include_str!("../../idl/ignis.json"))
            .expect("the committed IDL is JSON");
        idl["errors"]
            .as_array()
            .expect("the IDL lists errors")
            .iter()
            .map(|error| {
                let leak = |value: &serde_json::Value| -> &'static str {
                    Box::leak(value.as_str().unwrap_or_default().to_owned().into_boxed_str())
                };
                let code = error["code"].as_u64().expect("error code") as u32;
                (
                    code,
                    ProgramErrorInfo {
                        code,
                        name: leak(&error["name"]),
                        message: leak(&error["msg"]),
                    },
                )
            })
            .collect()
    })
}

impl ProgramErrorInfo {
    /// The Ignis error this is, to match by type.
    pub fn ignis(&self) -> Option<IgnisError> {
        IgnisError::from_code(self.code)
    }

    /// Anchor's own error this is (account and constraint checks), to match by type.
    pub fn anchor(&self) -> Option<anchor_lang::error::ErrorCode> {
        ANCHOR_ERRORS.iter().copied().find(|e| u32::from(*e) == self.code)
    }
}

/// Name and message of an `ignis` error code, if it is one.
pub fn ignis_error(code: u32) -> Option<ProgramErrorInfo> {
    ignis_errors().get(&code).copied()
}

/// Name and message of any error code the program can return: its own, or Anchor's.
pub fn describe(code: u32) -> Option<ProgramErrorInfo> {
    ignis_error(code).or_else(|| anchor_error(code))
}

use anchor_lang::error::ErrorCode;
use ignis::errors::IgnisError;

/// Anchor's errors the program can return (its codes are sparse).
const ANCHOR_ERRORS: &[ErrorCode] = &[
    ErrorCode::InstructionMissing,
    ErrorCode::InstructionFallbackNotFound,
    ErrorCode::InstructionDidNotDeserialize,
    ErrorCode::InstructionDidNotSerialize,
    ErrorCode::ConstraintMut,
    ErrorCode::ConstraintHasOne,
    ErrorCode::ConstraintSigner,
    ErrorCode::ConstraintRaw,
    ErrorCode::ConstraintOwner,
    ErrorCode::ConstraintSeeds,
    ErrorCode::ConstraintAddress,
    ErrorCode::ConstraintTokenMint,
    ErrorCode::ConstraintTokenOwner,
    ErrorCode::ConstraintDuplicateMutableAccount,
    ErrorCode::AccountDiscriminatorNotFound,
    ErrorCode::AccountDiscriminatorMismatch,
    ErrorCode::AccountDidNotDeserialize,
    ErrorCode::AccountNotEnoughKeys,
    ErrorCode::AccountNotMutable,
    ErrorCode::AccountOwnedByWrongProgram,
    ErrorCode::InvalidProgramId,
    ErrorCode::AccountNotSigner,
    ErrorCode::AccountNotSystemOwned,
    ErrorCode::AccountNotInitialized,
    ErrorCode::AccountNotProgramData,
];

fn anchor_error(code: u32) -> Option<ProgramErrorInfo> {
    ANCHOR_ERRORS.iter().find(|e| u32::from(**e) == code).map(|e| ProgramErrorInfo {
        code,
        name: Box::leak(format!("{e:?}").into_boxed_str()),
        message: Box::leak(e.to_string().into_boxed_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_error_has_a_name_and_a_sentence() {
        for error in
            [IgnisError::ProtocolPaused, IgnisError::StakeBelowMinimum, IgnisError::NothingToClaim]
        {
            let info = describe(u32::from(error)).expect("known");
            assert_eq!(info.name, format!("{error:?}"));
            assert_eq!(info.message, error.to_string());
        }
        let seeds = describe(u32::from(ErrorCode::ConstraintSeeds)).unwrap();
        assert_eq!(seeds.name, "ConstraintSeeds");
        assert!(matches!(seeds.anchor(), Some(ErrorCode::ConstraintSeeds)));
        assert_eq!(seeds.ignis(), None);
        // Every error of the program maps back to itself from its code.
        for index in 0.. {
            let Ok(error) = IgnisError::try_from(index) else { break };
            let info = describe(u32::from(error)).expect("in the IDL");
            assert_eq!(info.ignis(), Some(error));
            assert_eq!(info.name, format!("{error:?}"));
        }
        assert!(describe(1).is_none(), "token program errors are not ours");
    }
}
