import DoormanCore

/// Everything that can change the UI's state: commands from keys, text typed
/// into a field, a resize, the timer, and the results of work done off the UI
/// thread (which the driver feeds back as actions).
enum Action: Sendable {
    /// A command from the keymap.
    case command(Command)
    /// Printable text for the field being typed into (one key, or a paste).
    case insert(String)
    /// The terminal's new size.
    case resize(TerminalSize)
    /// The animation timer (the spinner).
    case tick
    /// The mouse: the wheel scrolls, a click selects a row.
    case mouse(MouseEvent)
    /// A login finished. `session` is the attempt it answers; stale answers are ignored.
    case loginFinished(session: Int, LoginResult)
    /// The products arrived, prepared for the table.
    case productsLoaded(session: Int, ProductRows)
    /// The products could not be loaded.
    case productsFailed(session: Int, String)
    /// A cache flush finished.
    case flushFinished(FlushResult)
    /// One login of a burst finished.
    case burstProgress(session: Int, BurstSample)
    /// The burst ended, early when `failure` says why.
    case burstFinished(session: Int, failure: String?)
    /// One login of the demo finished.
    case demoProgress(session: Int, DemoLogin)
    /// The demo ended, early when `failure` says why.
    case demoFinished(session: Int, failure: String?)
    /// The statistics (or the hosted server's counters) changed.
    case statisticsChanged(PanelSnapshot)
    /// The stores were probed (every couple of seconds, off the UI thread).
    case healthChanged([StoreStatus])
    /// The fleet was read (every couple of seconds while its page is open).
    case fleetChanged(FleetSnapshot)
    /// The cache view's data arrived (entries and counters read together).
    case cacheViewLoaded(entries: [CachedCredential], counters: [ThrottleCounter])
    /// The cache view's data could not be read.
    case cacheViewFailed(String)
    /// An unlock finished: `removed` counters went, or `failure` says why not.
    case unlockFinished(user: String, removed: Int?, failure: String?)
    /// The users view's rows arrived.
    case usersLoaded([UserSummary])
    /// The users could not be listed.
    case usersFailed(String)
    /// An add, password change or delete finished: its message, and the user to select.
    case userChangeFinished(Message, select: String?)
    /// The embedded Redis was stopped (`running == false`) or started, or `failure` says why not.
    case embeddedRedisChanged(running: Bool, failure: String?)
    /// A theme was loaded and is in use.
    case themeApplied(name: String)
    /// A theme could not be loaded (the message names the file and line); the
    /// previous theme stays.
    case themeFailed(name: String, message: String)
}

/// How a cache flush ended.
public enum FlushResult: Equatable, Sendable {
    /// Dropped `removed` cached hashes: `user`'s, or everyone's when `user` is `nil`.
    case flushed(user: String?, removed: Int)
    /// Redis could not be reached, or flushing is not possible here.
    case failed(String)
}

/// Work the state machine asks the driver to do. Effects run off the UI
/// thread; their results come back as ``Action``s.
enum Effect: Equatable, Sendable {
    /// Log in; on success keep the credentials (for the burst and remote
    /// fetches) until ``forgetCredentials``. Answer with ``Action/loginFinished(session:_:)``.
    case login(Credentials, session: Int)
    /// Fetch the products; answer with ``Action/productsLoaded(session:_:)`` or ``Action/productsFailed(session:_:)``.
    case loadProducts(session: Int)
    /// Drop `user`'s cached hash, or every one when `nil`.
    case flushCache(user: String?)
    /// Log in `count` times with the kept credentials, one after another.
    case burst(count: Int, concurrency: Int = 1, session: Int)
    /// The one-key demo: flush the user's hash, log in twice with the kept credentials.
    case demo(session: Int)
    /// Take Redis out of this UI's logins (`true`) or put it back.
    case setCacheBypassed(Bool)
    /// Stop the running burst before its next login (Esc, logging out).
    case stopBurst
    /// The login attempt `session` was cancelled (Esc): keep nothing it brings back.
    case cancelLogin(session: Int)
    /// Wipe the kept credentials (logging out).
    case forgetCredentials
    /// Read the fleet now; answer with ``Action/fleetChanged(_:)``.
    case loadFleet
    /// Read the cache view's entries and counters as the session's user;
    /// answer with ``Action/cacheViewLoaded(entries:counters:)`` or ``Action/cacheViewFailed(_:)``.
    case loadCacheView(session: Int)
    /// Drop `user`'s cached entry (the cache view); answer with ``Action/flushFinished(_:)``.
    case flushEntry(user: String, session: Int)
    /// Clear the counters that lock `user` out; answer with ``Action/unlockFinished(user:removed:failure:)``.
    case unlock(user: String, session: Int)
    /// List the users (the users view); answer with ``Action/usersLoaded(_:)`` or ``Action/usersFailed(_:)``.
    case loadUsers(session: Int)
    /// Add a user with `password` (which leaves the state with the effect).
    case addUser(name: String, password: String, session: Int)
    /// Set `user`'s password.
    case setPassword(user: String, password: String, session: Int)
    /// Delete `user`.
    case deleteUser(user: String, session: Int)
    /// Stop (`false`) or start the embedded stack's Redis.
    case setEmbeddedRedis(running: Bool)
    /// Load and use the named theme.
    case applyTheme(String)
    /// Leave the UI.
    case quit
    /// Give the terminal back and stop (SIGTSTP) until the shell's `fg`.
    case suspend
}
