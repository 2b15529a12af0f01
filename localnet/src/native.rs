//! Runs an Anchor program compiled for the host (not SBF) as a native builtin inside
//! LiteSVM (agave 4.3.2).
//!
//! A port of solana-program-test 3.1's `invoke_builtin_function` and `SyscallStubs`: the
//! builtin serializes the instruction's accounts in the SBF input format, hands the
//! program the `AccountInfo`s parsed back from it, and commits the program's edits. The
//! program's "syscalls" (CPI, sysvars, return data, stack height, logs) go through
//! `solana_sysvar::program_stubs`, which we point at the running `InvokeContext`.
//!
//! `msg!` (so Anchor's `Instruction: PostJob` and `AnchorError occurred. ...` lines)
//! goes into the transaction's log through the host logger of the patched solana-msg
//! (`localnet/patches/solana-msg`; upstream 3.x prints to stdout off chain), framed by the
//! runtime's `invoke [n]` / `success` / `failed` lines as on a real validator.
//!
//! Known host-build gaps (not fixable here): `emit!` is a no-op and Anchor's
//! `set_return_data` / `get_return_data` (solana-cpi 3.1) are no-ops, so neither reaches
//! the runtime; the program's own compute is not metered (a flat charge per invocation).

use {
    litesvm::LiteSVM,
    solana_account_info::AccountInfo,
    solana_address::Address,
    solana_instruction::{
        error::{InstructionError, UNSUPPORTED_SYSVAR},
        Instruction,
    },
    solana_program_entrypoint::{deserialize, ProgramResult, SUCCESS},
    solana_program_error::ProgramError,
    solana_program_runtime::{
        declare_process_instruction, invoke_context::InvokeContext,
        serialization::serialize_parameters, solana_sbpf::program::BuiltinFunctionDefinition,
        stable_log, sysvar_cache::SysvarCache,
    },
    solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs},
    solana_transaction_context::{
        instruction_accounts::BorrowedInstructionAccount, transaction::TransactionContext,
        IndexOfAccount,
    },
    std::{
        cell::Cell,
        collections::BTreeMap,
        panic::{self, AssertUnwindSafe},
        ptr,
        sync::{Arc, Once, RwLock},
    },
};

/// A program entrypoint as Anchor 1.2.2 generates it: pass `my_program::entry`.
pub type ProgramEntry =
    for<'info> fn(&'info Address, &'info [AccountInfo<'info>], &'info [u8]) -> ProgramResult;

/// Register a host-compiled program as a builtin in this LiteSVM.
pub fn add_native_program(svm: &mut LiteSVM, program_id: Address, entry: ProgramEntry) {
    static STUBS: Once = Once::new();
    STUBS.call_once(|| {
        drop(set_syscall_stubs(Box::new(Stubs)));
        solana_msg::host::set_logger(log_to_transaction);
    });
    PROGRAMS.write().unwrap().insert(program_id, entry);
    svm.add_builtin(program_id, NativeProgram::register);
}

/// `declare_process_instruction!` makes one builtin type, shared by every native program:
/// it finds the entry by the id of the program being invoked.
static PROGRAMS: RwLock<BTreeMap<Address, ProgramEntry>> = RwLock::new(BTreeMap::new());

// Native code is not metered, but a builtin that consumes nothing fails with
// `BuiltinProgramsMustConsumeComputeUnits`: charge a flat fee per invocation.
declare_process_instruction!(NativeProgram, 1_000, |invoke_context| { process(invoke_context) });

thread_local! {
    /// The invocation the stubs act on (null outside a native program).
    static CURRENT: Cell<*mut InvokeContext<'static, 'static>> = const { Cell::new(ptr::null_mut()) };
    /// The first CPI of that invocation that failed. On chain a failed CPI aborts the
    /// caller, so it becomes the instruction's error whatever the program does next.
    static CPI_ERROR: Cell<Option<InstructionError>> = const { Cell::new(None) };
}

/// `msg!` inside a native program: into the running transaction's log.
fn log_to_transaction(message: &str) -> bool {
    // SAFETY: as in `current`; null outside a native program invocation.
    match unsafe { CURRENT.get().as_mut() } {
        Some(invoke_context) => {
            stable_log::program_log(&invoke_context.get_log_collector(), message);
            true
        }
        None => false,
    }
}

fn current<'a>() -> &'a mut InvokeContext<'static, 'static> {
    // SAFETY: set by `process` for the duration of the program call, on this thread.
    unsafe { CURRENT.get().as_mut() }.expect("syscall outside a native program invocation")
}

fn process(invoke_context: &mut InvokeContext) -> Result<(), InstructionError> {
    let instruction = invoke_context.transaction_context.get_current_instruction_context()?;
    let program_id = *instruction.get_program_key()?;
    let entry =
        *PROGRAMS.read().unwrap().get(&program_id).ok_or(InstructionError::UnsupportedProgramId)?;
    // No VM here, so none of the memory-mapping options apply.
    let (mut input, ..) = serialize_parameters(&instruction, false, false, false)?;
    // SAFETY: `input` is in the layout `deserialize` reads and outlives `accounts`.
    let (_, accounts, data) = unsafe { deserialize(input.as_slice_mut().as_mut_ptr()) };

    // Nested native invocations (CPI between native programs) save and restore the outer state.
    let outer = CURRENT.replace(ptr::from_mut(invoke_context).cast());
    let outer_cpi_error = CPI_ERROR.take();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| entry(&program_id, &accounts, data)));
    let cpi_error = CPI_ERROR.replace(outer_cpi_error);
    CURRENT.set(outer);

    let logger = invoke_context.get_log_collector();
    match (cpi_error, outcome) {
        (Some(err), _) => return Err(err),
        (None, Err(payload)) => {
            let message = (payload.downcast_ref::<&str>().copied())
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            stable_log::program_log(&logger, &format!("panicked: {}", message.unwrap_or("?")));
            return Err(InstructionError::ProgramFailedToComplete);
        }
        (None, Ok(Err(err))) => return Err(to_instruction_error(err)),
        (None, Ok(Ok(()))) => {}
    }
    // `deserialize` yields one AccountInfo per instruction account, in order.
    let instruction = invoke_context.transaction_context.get_current_instruction_context()?;
    for (index, info) in accounts.iter().enumerate() {
        let mut account = instruction.try_borrow_instruction_account(index as IndexOfAccount)?;
        sync_to_runtime(&mut account, info)?;
    }
    let (_, return_data) = invoke_context.transaction_context.get_return_data();
    if !return_data.is_empty() {
        stable_log::program_return(&logger, &program_id, return_data);
    }
    Ok(())
}

fn to_instruction_error(err: ProgramError) -> InstructionError {
    InstructionError::from(u64::from(err))
}

/// Commits a program's edits of one account; the runtime enforces ownership, writability
/// and size rules, as when a real program returns.
fn sync_to_runtime(
    account: &mut BorrowedInstructionAccount,
    info: &AccountInfo,
) -> Result<(), InstructionError> {
    if account.get_lamports() != info.lamports() {
        account.set_lamports(info.lamports())?;
    }
    // `try_`: this also runs after `catch_unwind`, where a panic would unwind into the runtime.
    let data = (info.try_borrow_data()).map_err(|_| InstructionError::AccountBorrowFailed)?;
    if account.get_data() != *data {
        account.set_data_from_slice(&data)?;
    }
    // Last, so that a program may still edit an account it then gives away.
    if account.get_owner() != info.owner {
        account.set_owner(info.owner.as_ref())?;
    }
    Ok(())
}

/// Copies a CPI callee's edits of one account back into the caller's `AccountInfo`.
fn sync_from_runtime(account: &BorrowedInstructionAccount, info: &AccountInfo) -> ProgramResult {
    **info.try_borrow_mut_lamports()? = account.get_lamports();
    if info.owner != account.get_owner() {
        info.assign(account.get_owner());
    }
    info.resize(account.get_data().len())?;
    info.try_borrow_mut_data()?.copy_from_slice(account.get_data());
    Ok(())
}

/// Runs `f` on the current instruction's account with this key.
fn with_caller_account(
    transaction: &TransactionContext,
    key: &Address,
    f: impl FnOnce(&mut BorrowedInstructionAccount) -> Result<(), InstructionError>,
) -> Result<(), InstructionError> {
    let index = transaction.find_index_of_account(key).ok_or(InstructionError::MissingAccount)?;
    let caller = transaction.get_current_instruction_context()?;
    let mut account = caller
        .try_borrow_instruction_account(caller.get_index_of_account_in_instruction(index)?)?;
    f(&mut account)
}

fn invoke_signed(
    invoke_context: &mut InvokeContext,
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> Result<(), InstructionError> {
    let info = |key: &Address| {
        (account_infos.iter()).find(|info| info.key == key).ok_or(InstructionError::MissingAccount)
    };
    // The callee must see the caller's edits so far...
    for meta in &instruction.accounts {
        let info = info(&meta.pubkey)?;
        with_caller_account(invoke_context.transaction_context, &meta.pubkey, |account| {
            sync_to_runtime(account, info)
        })?;
    }
    // ...the runtime checks privileges, derives the PDA signers and runs the callee...
    invoke_context.native_invoke_signed(instruction.clone(), signers_seeds)?;
    // ...and the caller sees the callee's edits.
    for meta in instruction.accounts.iter().filter(|meta| meta.is_writable) {
        let info = info(&meta.pubkey)?;
        with_caller_account(invoke_context.transaction_context, &meta.pubkey, |account| {
            sync_from_runtime(account, info).map_err(to_instruction_error)
        })?;
    }
    Ok(())
}

/// Writes a sysvar into the program's copy. The program's sysvar types (solana-sysvar 3)
/// have the same `repr(C)` layout as the runtime's, which is what the SBF syscall relies on too.
fn get_sysvar<T: Clone>(
    get: fn(&SysvarCache) -> Result<Arc<T>, InstructionError>,
    var_addr: *mut u8,
) -> u64 {
    match get(current().environment_config.sysvar_cache()) {
        // SAFETY: `var_addr` points to the program's (aligned, writable) sysvar struct.
        Ok(sysvar) => unsafe { var_addr.cast::<T>().write(T::clone(&sysvar)) },
        Err(_) => return UNSUPPORTED_SYSVAR,
    }
    SUCCESS
}

struct Stubs;

impl SyscallStubs for Stubs {
    fn sol_log(&self, message: &str) {
        stable_log::program_log(&current().get_log_collector(), message);
    }

    fn sol_log_data(&self, fields: &[&[u8]]) {
        stable_log::program_data(&current().get_log_collector(), fields);
    }

    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        invoke_signed(current(), instruction, account_infos, signers_seeds).map_err(|err| {
            let program_error =
                ProgramError::try_from(err.clone()).unwrap_or(ProgramError::InvalidArgument);
            CPI_ERROR.set(Some(CPI_ERROR.take().unwrap_or(err)));
            program_error
        })
    }

    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar(SysvarCache::get_clock, var_addr)
    }

    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar(SysvarCache::get_epoch_schedule, var_addr)
    }

    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar(SysvarCache::get_epoch_rewards, var_addr)
    }

    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar(SysvarCache::get_rent, var_addr)
    }

    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        get_sysvar(SysvarCache::get_last_restart_slot, var_addr)
    }

    fn sol_get_return_data(&self) -> Option<(Address, Vec<u8>)> {
        let (program_id, data) = current().transaction_context.get_return_data();
        (!data.is_empty()).then(|| (*program_id, data.to_vec()))
    }

    fn sol_set_return_data(&self, data: &[u8]) {
        let transaction = &mut *current().transaction_context;
        let program_id = *transaction
            .get_current_instruction_context()
            .and_then(|ix| ix.get_program_key())
            .unwrap();
        transaction.set_return_data(program_id, data.to_vec()).unwrap();
    }

    fn sol_get_stack_height(&self) -> u64 {
        current().get_stack_height() as u64
    }
}
