/// Something a key asks for. The keymap (``Keymap``) binds keys to commands
/// per context; the state machine (``AppState/handle(_:)``) carries them out.
enum Command: String, CaseIterable, Sendable {
    /// Everywhere: leave, open or close the help, use the next theme.
    case quit, toggleHelp, cycleTheme
    /// Everywhere: stop to the shell (Ctrl-Z); `fg` comes back to the same screen.
    case suspend
    /// The login form: move between the fields, log in, clear the form.
    case nextField, previousField, submit, clearForm
    /// Editing a field (the login form's, the filter).
    case deleteBackward, deleteForward, cursorLeft, cursorRight, cursorHome, cursorEnd, clearField
    /// Readline's word commands in a field: M-b, M-f, M-d, Ctrl-W.
    case cursorWordLeft, cursorWordRight, deleteWordForward, deleteWordBackward
    /// Moving in the table (and scrolling the help).
    case moveUp, moveDown, pageUp, pageDown, moveToTop, moveToBottom
    /// Sorting the table.
    case sortByID, sortByName, sortByPrice, sortByNextColumn, reverseSort
    /// Filtering the table.
    case startFilter, acceptFilter, clearFilter
    /// Searching the table (rows stay, the selection jumps): open the field,
    /// keep or cancel what is typed, the next or previous matching row.
    case startSearch, acceptSearch, cancelSearch, nextMatch, previousMatch
    /// The cache demo: flush one user's hash or all, a burst of logins; log out; the panel.
    case flushUser, flushAll, burst, logout, togglePanel
    /// The panel's page: this process's logins, or the fleet (`v`).
    case switchPanelPage
    /// Take Redis out of this UI's path, or put it back (`o`).
    case toggleCache
    /// Stop the embedded stack's Redis for real, or start it again (`O`).
    case toggleEmbeddedRedis
    /// The one-key demo: flush, log in, log in again, side by side (`d`).
    case demo
    /// The selected product's detail (Enter), closed by Esc or Enter.
    case toggleDetail
    /// Closing the help screen.
    case closeHelp
    /// The cache view: open it (`c`), close it (`c`, Esc), drop the selected entry (`x`), unlock the selected account (`U`).
    case openCache, closeCache, flushEntry, unlockAccount
    /// The users view: open it (`u`), close it, add a user, change a password, delete a user.
    case openUsers, closeUsers, addUser, changePassword, deleteUser
    /// A footer question: take the answer, give up, say yes.
    case acceptPrompt, cancelPrompt, confirmYes

    /// `true` for commands that need the cache to be flushable from here
    /// (unavailable in remote mode).
    var needsFlush: Bool { self == .flushUser || self == .flushAll || self == .demo }

    /// `true` for the users view's add, change and delete (not in remote mode).
    var changesUsers: Bool { self == .addUser || self == .changePassword || self == .deleteUser }
}
