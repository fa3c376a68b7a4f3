//! Module lifecycle entry points. `declare_module!` generates the three `extern "C"` functions
//! the C shim calls; each installs the logger, catches panics and maps results to Asterisk codes.

use super::guard::{self, ffi_guard};
use super::{heap, logger, sys};
use std::os::raw::c_int;

/// Declares the module's load/unload/reload functions (each `fn() -> Result<(), String>`).
#[macro_export]
macro_rules! declare_module {
    (load: $load:path, unload: $unload:path, reload: $reload:path $(,)?) => {
        #[allow(unsafe_code)] // no_mangle: the C shim calls these by name
        #[no_mangle]
        pub extern "C" fn minibot_rust_load() -> ::std::os::raw::c_int {
            $crate::ast::module::run_load($load)
        }
        #[allow(unsafe_code)]
        #[no_mangle]
        pub extern "C" fn minibot_rust_unload() -> ::std::os::raw::c_int {
            $crate::ast::module::run_unload($unload)
        }
        #[allow(unsafe_code)]
        #[no_mangle]
        pub extern "C" fn minibot_rust_reload() -> ::std::os::raw::c_int {
            $crate::ast::module::run_reload($reload)
        }
    };
}

pub fn run_load(load: fn() -> Result<(), String>) -> c_int {
    logger::install(log::LevelFilter::Info);
    guard::install_panic_hook();
    let declined = sys::ast_module_load_result_AST_MODULE_LOAD_DECLINE as c_int;
    let rc = ffi_guard("module load", declined, || match load() {
        Ok(()) => sys::ast_module_load_result_AST_MODULE_LOAD_SUCCESS as c_int,
        Err(reason) => {
            log::error!("res_minibot declined to load: {reason}");
            declined
        }
    });
    heap::give_back(); // what parsing the configuration and the model freed
    rc
}

/// Nonzero refuses the unload (Asterisk keeps the module running).
pub fn run_unload(unload: fn() -> Result<(), String>) -> c_int {
    let rc = ffi_guard("module unload", -1, || match unload() {
        Ok(()) => 0,
        Err(reason) => {
            log::warn!("res_minibot refuses to unload: {reason}");
            -1
        }
    });
    if rc == 0 {
        guard::remove_panic_hook();
        heap::give_back(); // what the stopped parts freed, in the arenas of the threads that freed it
    }
    rc
}

/// 0 is success; on failure the previous configuration stays in force.
pub fn run_reload(reload: fn() -> Result<(), String>) -> c_int {
    ffi_guard("module reload", -1, || match reload() {
        Ok(()) => 0,
        Err(reason) => {
            log::error!("res_minibot reload failed, keeping the previous configuration: {reason}");
            -1
        }
    })
}
