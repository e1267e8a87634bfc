import DoormanCore
import Foundation
import Logging

/// The UI's driver. On the UI thread it waits for keys, posted results or the
/// timer (one `poll` on the terminal and a wake pipe), turns keys into actions
/// through the keymap, feeds every action to ``AppState/handle(_:)``, runs the
/// effects it returns off the UI thread, and draws a frame when something
/// changed. The timer (every 250 ms, 100 ms while the spinner turns) also
/// polls the statistics' generation for the cache panel.
final class UILoop {
    private var state: AppState
    private let terminal: CursesTerminal
    private let backend: any UIBackend
    private let catalog: ThemeCatalog
    private let keymap: Keymap
    private let pipe: WakePipe
    private let inbox: ActionInbox
    private let vault = CredentialVault()
    private let bursts = BurstSwitch()
    private let cancelledLogins = LoginCancellations()
    private let healthProbe = InFlight()
    private let fleetRead = InFlight()
    private let cacheRead = InFlight()
    private let logger: Logger
    private var panelVersion: PanelVersion?

    /// How the loop ended.
    enum Ending {
        case quit
        case signal(Int32)
    }

    init(state: AppState, terminal: CursesTerminal, backend: any UIBackend, catalog: ThemeCatalog, keymap: Keymap, pipe: WakePipe, logger: Logger) {
        self.state = state
        self.terminal = terminal
        self.backend = backend
        self.catalog = catalog
        self.keymap = keymap
        self.pipe = pipe
        self.inbox = ActionInbox(pipe: pipe)
        self.logger = logger
    }

    /// Runs until the person quits or a signal arrives.
    func run() -> Ending {
        // A burst still running stops at its next login.
        defer { vault.forget() }
        let clock = ContinuousClock()
        var nextTick = clock.now
        var nextHealth = clock.now
        var nextFleet = clock.now
        var nextCacheRead = clock.now
        _ = refreshPanel()
        draw(since: clock.now)
        while true {
            let wait = max(0, min(250, Int((nextTick - clock.now).millisecondsValue.rounded(.up))))
            let ready = waitForInput(milliseconds: Int32(wait))
            let start = clock.now
            if ready.hangup { return .signal(SIGHUP) }
            if let signal = pipe.drain().first { return .signal(Int32(signal)) }
            var changed = false
            for event in terminal.readEvents() {
                dispatch(event)
                changed = true
            }
            for action in inbox.drain() {
                apply(action)
                changed = true
            }
            if clock.now >= nextTick {
                if state.isBusy {
                    apply(.tick)
                    changed = true
                }
                if refreshPanel() { changed = true }
                // The cache view counts its TTLs down: read again about once a second.
                if state.screen == .cache || state.screen == .users, state.help == nil, clock.now >= nextCacheRead, let session = state.session {
                    run(state.screen == .cache ? .loadCacheView(session: session.id) : .loadUsers(session: session.id))
                    nextCacheRead = clock.now + .seconds(1)
                }
                if clock.now >= nextHealth {
                    probeHealth()
                    nextHealth = clock.now + .seconds(2)
                }
                if state.panelPage == .fleet && clock.now >= nextFleet {
                    readFleet()
                    nextFleet = clock.now + .seconds(2)
                }
                nextTick = clock.now + .milliseconds(state.isBusy ? 100 : 250)
            }
            if state.quitting { return .quit }
            if changed { draw(since: start) }
        }
    }

    /// Resolves an input event through the keymap, one action at a time (each
    /// may change where the rest of the event goes).
    private func dispatch(_ event: InputEvent) {
        var remaining: InputEvent? = event
        while let current = remaining, !state.quitting {
            let (action, rest) = keymap.resolve(current, in: state.inputContext)
            if let action { apply(action) }
            remaining = rest
        }
    }

    private func apply(_ action: Action) {
        for effect in state.handle(action) {
            run(effect)
        }
    }

    /// Gathers the panel's data when the statistics changed.
    private func refreshPanel() -> Bool {
        let version = backend.panelVersion()
        guard version != panelVersion else { return false }
        panelVersion = version
        apply(.statisticsChanged(backend.panelSnapshot()))
        return true
    }

    /// Probes the stores off the UI thread (one probe at a time); the result
    /// comes back as ``Action/healthChanged(_:)``.
    private func probeHealth() {
        guard healthProbe.start() else { return }
        let backend = backend
        let inbox = inbox
        let probe = healthProbe
        spawn {
            let statuses = await backend.storeHealth()
            probe.finish()
            inbox.post(.healthChanged(statuses))
        }
    }

    /// Reads the fleet off the UI thread (one read at a time), with the
    /// logged-in user's credentials when there are some; the result comes
    /// back as ``Action/fleetChanged(_:)``.
    private func readFleet() {
        guard fleetRead.start() else { return }
        let backend = backend, inbox = inbox, read = fleetRead
        let credentials = state.session.flatMap { vault.credentials(for: $0.id) }
        spawn {
            let snapshot: FleetSnapshot
            do throws(BackendError) {
                let members = try await backend.fleet(as: credentials)
                snapshot = FleetSnapshot(members: members, readAt: FleetMember.milliseconds(Date()))
            } catch {
                snapshot = FleetSnapshot(members: [], readAt: FleetMember.milliseconds(Date()), failure: error.message)
            }
            read.finish()
            inbox.post(.fleetChanged(snapshot))
        }
    }

    private func draw(since start: ContinuousClock.Instant) {
        let frame = Frame.render(state, keymap: keymap)
        terminal.draw(frame)
        // From input (or a result) to the frame on the terminal: the UI's latency.
        logger.trace("frame drawn in \(String(fixed: (ContinuousClock.now - start).millisecondsValue, digits: 2)) ms")
    }

    // MARK: - Effects

    /// Runs an effect: slow work on a task, whose result comes back through
    /// the inbox; theme changes at once (a small file read).
    private func run(_ effect: Effect) {
        let backend = backend
        let inbox = inbox
        let vault = vault
        switch effect {
        case .login(let credentials, let session):
            let cancelled = cancelledLogins
            spawn {
                let result = await backend.logIn(credentials)
                // A cancelled attempt keeps nothing (the state ignores its answer too).
                if case .authenticated = result, !cancelled.take(session) {
                    vault.keep(credentials, session: session)
                }
                inbox.post(.loginFinished(session: session, result))
            }
        case .cancelLogin(let session):
            cancelledLogins.cancel(session)
        case .loadProducts(let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    let products = try await backend.products(as: credentials)
                    inbox.post(.productsLoaded(session: session, ProductRows(products)))
                } catch {
                    inbox.post(.productsFailed(session: session, error.message))
                }
            }
        case .flushCache(let user):
            spawn {
                inbox.post(.flushFinished(await backend.flushCache(user: user)))
            }
        case .burst(let count, let concurrency, let session):
            let bursts = bursts
            let started = bursts.current()
            spawn {
                await BurstRunner.run(
                    count: count, concurrency: concurrency, session: session,
                    credentials: { vault.credentials(for: session) },
                    isStopped: { bursts.isStopped(started) },
                    logIn: { await backend.logIn($0) },
                    post: { inbox.post($0) })
            }
        case .demo(let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                if case .failed(let reason) = await backend.flushCache(user: credentials.username) {
                    inbox.post(.demoFinished(session: session, failure: reason))
                    return
                }
                let clock = ContinuousClock()
                for _ in 0..<2 {
                    let start = clock.now
                    let result = await backend.logIn(credentials)
                    let total = clock.now - start
                    guard case .authenticated(let authentication) = result else {
                        inbox.post(.demoProgress(session: session, DemoLogin(source: nil, lookup: total, bcrypt: nil, total: total)))
                        inbox.post(.demoFinished(session: session, failure: "a login was not authenticated"))
                        return
                    }
                    let login: DemoLogin = switch authentication.timing {
                    case .local(let lookup, let bcrypt): DemoLogin(source: authentication.source, lookup: lookup, bcrypt: bcrypt, total: total)
                    case .remote(let roundTrip, _, _): DemoLogin(source: authentication.source, lookup: roundTrip, bcrypt: nil, total: total)
                    }
                    inbox.post(.demoProgress(session: session, login))
                }
                inbox.post(.demoFinished(session: session, failure: nil))
            }
        case .loadCacheView(let session):
            // One read at a time: a slow Redis must not pile them up.
            guard cacheRead.start() else { return }
            let read = cacheRead
            spawn {
                defer { read.finish() }
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    let entries = try await backend.cacheEntries(as: credentials)
                    let counters = try await backend.throttleCounters(as: credentials)
                    inbox.post(.cacheViewLoaded(entries: entries, counters: counters))
                } catch {
                    inbox.post(.cacheViewFailed(error.message))
                }
            }
        case .flushEntry(let user, let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                inbox.post(.flushFinished(await backend.flushEntry(of: user, as: credentials)))
            }
        case .unlock(let user, let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    let removed = try await backend.unlock(user, as: credentials)
                    inbox.post(.unlockFinished(user: user, removed: removed, failure: nil))
                } catch {
                    inbox.post(.unlockFinished(user: user, removed: nil, failure: error.message))
                }
            }
        case .loadUsers(let session):
            guard cacheRead.start() else { return }
            let read = cacheRead
            spawn {
                defer { read.finish() }
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    inbox.post(.usersLoaded(try await backend.users(as: credentials)))
                } catch {
                    inbox.post(.usersFailed(error.message))
                }
            }
        case .addUser(let name, let password, let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    let stored = try await backend.addUser(name, password: password, as: credentials)
                    inbox.post(.userChangeFinished(Message("Added \(stored).", .ok), select: stored))
                } catch {
                    inbox.post(.userChangeFinished(Message("Not added: \(error.message)", .error), select: nil))
                }
            }
        case .setPassword(let user, let password, let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    try await backend.setPassword(of: user, to: password, as: credentials)
                    inbox.post(.userChangeFinished(Message("Changed \(user)'s password; the cached hash is gone.", .ok), select: user))
                } catch {
                    inbox.post(.userChangeFinished(Message("Password not changed: \(error.message)", .error), select: user))
                }
            }
        case .deleteUser(let user, let session):
            spawn {
                guard let credentials = vault.credentials(for: session) else { return }
                do throws(BackendError) {
                    try await backend.deleteUser(user, as: credentials)
                    inbox.post(.userChangeFinished(Message("Deleted \(user).", .ok), select: nil))
                } catch {
                    inbox.post(.userChangeFinished(Message("Not deleted: \(error.message)", .error), select: user))
                }
            }
        case .setEmbeddedRedis(let running):
            spawn {
                let failure = await backend.setEmbeddedRedisRunning(running)
                inbox.post(.embeddedRedisChanged(running: running, failure: failure))
            }
        case .stopBurst:
            bursts.stop()
        case .setCacheBypassed(let bypassed):
            _ = backend.setCacheBypassed(bypassed)
            probeHealth()
        case .forgetCredentials:
            vault.forget()
        case .loadFleet:
            readFleet()
        case .applyTheme(let name):
            do {
                let theme = try catalog.load(name)
                terminal.apply(theme)
                apply(.themeApplied(name: theme.name))
            } catch {
                logger.error("cannot use theme \(name): \(error)")
                apply(.themeFailed(name: name, message: "Theme \(name) not used: \(error.description)"))
            }
        case .quit:
            break
        case .suspend:
            terminal.suspend()
            // The terminal may have changed size while stopped.
            apply(.resize(terminal.size))
        }
    }

    /// Runs `body` on Swift's global executor, never on the UI thread; it
    /// reports back through the inbox.
    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        Task.detached(operation: body)
    }

    // MARK: - Waiting

    /// Waits for a key, a posted action or a signal (all of which make the
    /// terminal or the pipe readable), at most `milliseconds`.
    private func waitForInput(milliseconds: Int32) -> (ready: Bool, hangup: Bool) {
        var descriptors = [
            pollfd(fd: terminal.inputDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: pipe.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let count = poll(&descriptors, 2, milliseconds)
        guard count > 0 else { return (false, false) }  // timeout, or EINTR (a resize)
        let terminalEvents = descriptors[0].revents
        let hangup = terminalEvents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && terminalEvents & Int16(POLLIN) == 0
        return (true, hangup)
    }
}
