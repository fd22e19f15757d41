//! The guest plugins (first-party and test-only), built once by the `rechost-test-guests`
//! build script. Shared by the integration tests and the benches.

use std::path::PathBuf;
use std::sync::OnceLock;

pub struct Guests {
    pub ecommerce: PathBuf,
    pub media: PathBuf,
    pub misbehave: PathBuf,
    pub future_contract: PathBuf,
    pub hostile: PathBuf,
    pub contract_v0_2: PathBuf,
    pub mismatched_contract: PathBuf,
}

pub fn guests() -> &'static Guests {
    static GUESTS: OnceLock<Guests> = OnceLock::new();
    GUESTS.get_or_init(|| Guests {
        ecommerce: rechost_test_guests::ECOMMERCE.into(),
        media: rechost_test_guests::MEDIA.into(),
        misbehave: rechost_test_guests::MISBEHAVE.into(),
        future_contract: rechost_test_guests::FUTURE_CONTRACT.into(),
        hostile: rechost_test_guests::HOSTILE.into(),
        contract_v0_2: rechost_test_guests::CONTRACT_V0_2.into(),
        mismatched_contract: rechost_test_guests::MISMATCHED_CONTRACT.into(),
    })
}
