import DoormanCore

extension AppState {
    /// Applies one action and returns the work it asks for. Pure: no I/O, no
    /// clock, no randomness; the same state and action always give the same
    /// result.
    mutating func handle(_ action: Action) -> [Effect] {
        switch action {
        case .command(let command):
            message = nil
            return handle(command)
        case .insert(let text):
            message = nil
            insert(text)
            return []
        case .resize(let newSize):
            size = newSize
            fitTable()
            return []
        case .tick:
            if isBusy { spinnerFrame += 1 }
            return []
        case .mouse(let mouse):
            handleMouse(mouse)
            return []
        case .loginFinished(let attempt, let result):
            return loginFinished(attempt: attempt, result)
        case .productsLoaded(let id, let rows):
            guard id == session?.id, productsLoading else { return [] }
            productsLoading = false
            productsError = nil
            table.load(rows)
            fitTable()
            return []
        case .productsFailed(let id, let reason):
            guard id == session?.id, productsLoading else { return [] }
            productsLoading = false
            productsError = reason
            message = Message("Cannot load the products: \(reason)", .error)
            return []
        case .flushFinished(let result):
            flushPending = false
            message = flushMessage(result)
            return refreshView()
        case .usersLoaded(let users):
            guard screen == .users else { return [] }
            usersView.load(users)
            return []
        case .usersFailed(let reason):
            guard screen == .users else { return [] }
            usersView.error = reason
            return []
        case .userChangeFinished(let result, let user):
            usersView.pending = false
            message = result
            if let user { usersView.select(user) }
            return refreshView()
        case .cacheViewLoaded(let entries, let counters):
            guard screen == .cache else { return [] }
            cacheView.load(entries: entries, counters: counters)
            return []
        case .cacheViewFailed(let reason):
            guard screen == .cache else { return [] }
            cacheView.error = reason
            return []
        case .unlockFinished(let user, let removed, let failure):
            if let failure {
                message = Message("Unlock failed: \(failure)", .error)
            } else {
                let removed = removed ?? 0
                message = removed == 0
                    ? Message("\(user) was not locked.", .info)
                    : Message("Unlocked \(user) (\(removed) \(removed == 1 ? "counter" : "counters") cleared).", .ok)
            }
            return refreshView()
        case .burstProgress(let id, let sample):
            guard id == session?.id, burst?.finished == false else { return [] }
            burst?.samples.append(sample)
            return []
        case .burstFinished(let id, let failure):
            guard id == session?.id, burst?.finished == false else { return [] }
            burst?.finished = true
            burst?.failure = failure
            if let failure {
                message = Message("The burst stopped: \(failure)", .error)
            } else if layout.panel == nil, let burst {
                // No panel to show it in (a small terminal): the footer sums it up.
                message = Message(Self.burstSummary(burst), .ok)
            }
            return []
        case .demoProgress(let id, let login):
            guard id == session?.id, demo?.finished == false else { return [] }
            demo?.logins.append(login)
            return []
        case .demoFinished(let id, let failure):
            guard id == session?.id, demo?.finished == false else { return [] }
            demo?.finished = true
            demo?.failure = failure
            if let failure {
                message = Message("The demo stopped: \(failure)", .error)
            } else if let demo {
                message = Message(Self.demoSummary(demo), .ok)
            }
            return []
        case .statisticsChanged(let snapshot):
            panel = snapshot
            return []
        case .healthChanged(let statuses):
            health = statuses
            return []
        case .fleetChanged(let snapshot):
            fleet = snapshot
            return []
        case .embeddedRedisChanged(let running, let failure):
            if let failure {
                embeddedRedisStopped = running  // unchanged: stopped if it was being started
                message = Message("The embedded Redis was not \(running ? "started" : "stopped"): \(failure)", .error)
            } else {
                embeddedRedisStopped = !running
                message = running
                    ? Message("The embedded Redis runs again: logins go back to Redis within a second (O stops it).", .ok)
                    : Message("The embedded Redis is stopped: logins read PostgreSQL (O starts it again).", .info)
            }
            return []
        case .themeApplied(let name):
            themeName = name
            message = Message("Theme: \(name)", .ok)
            return []
        case .themeFailed(_, let reason):
            message = Message(reason, .error)
            return []
        }
    }

    // MARK: - Commands

    private mutating func handle(_ command: Command) -> [Effect] {
        // Commands that mean the same everywhere.
        switch command {
        case .quit:
            quitting = true
            return [.quit]
        case .suspend:
            return [.suspend]
        case .toggleHelp:
            if help == nil {
                // At the section of where the person was.
                let lines = keymap.helpLineCount(mode: mode)
                let start = keymap.helpLine(of: inputContext, mode: mode)
                help = Help(scroll: max(0, min(start, lines - max(1, layout.body.height - 2))))
            } else {
                help = nil
            }
            return []
        case .closeHelp:
            help = nil
            return []
        case .cycleTheme:
            guard !themes.isEmpty else {
                message = Message("No theme is installed.", .info)
                return []
            }
            let next = themes.firstIndex(of: themeName).map { themes[($0 + 1) % themes.count] } ?? themes[0]
            return [.applyTheme(next)]
        case .toggleCache:
            guard mode.canBypassCache else {
                message = Message(mode.cacheOff ? "The cache is already off (--no-cache)." : "Redis cannot be taken out of the path here.", .info)
                return []
            }
            cacheBypassed.toggle()
            if let index = health.firstIndex(where: { $0.name == "Redis" }) {
                health[index].state = cacheBypassed ? .offByYou : .up
                health[index].roundTrip = nil
            }
            message = cacheBypassed
                ? Message("Redis is out of this UI's path: the next login reads PostgreSQL (o puts it back).", .info)
                : Message("Redis is back in the path.", .ok)
            return [.setCacheBypassed(cacheBypassed)]
        case .switchPanelPage:
            panelPage = panelPage == .cache ? .fleet : .cache
            if !panelWanted {
                panelWanted = true
                fitTable()
            }
            if layout.panel == nil {
                message = Message("The panel needs \(Layout.panelRightMinColumns) columns, or \(Layout.panelBottomMinRows) rows.", .info)
            }
            return panelPage == .fleet ? [.loadFleet] : []
        case .toggleEmbeddedRedis:
            guard mode.canStopEmbeddedRedis else {
                message = Message("O stops the embedded Redis: only locally, on the embedded stack.", .info)
                return []
            }
            guard let stopped = embeddedRedisStopped else { return [] }
            embeddedRedisStopped = nil
            message = Message(stopped ? "Starting the embedded Redis…" : "Stopping the embedded Redis…", .info)
            return [.setEmbeddedRedis(running: stopped)]
        case .togglePanel:
            panelWanted.toggle()
            fitTable()
            if panelWanted && layout.panel == nil {
                message = Message("The cache panel needs \(Layout.panelRightMinColumns) columns, or \(Layout.panelBottomMinRows) rows.", .info)
            }
            return []
        default:
            break
        }
        switch inputContext {
        case .tooSmall: return []
        case .help: scrollHelp(command)
        case .login: return handleLogin(command)
        case .filter: return handleFilter(command)
        case .search: return handleSearch(command)
        case .table: return handleTable(command)
        case .cache: return handleCache(command)
        case .users: return handleUsers(command)
        case .prompt: return burstPrompt != nil ? handleBurstPrompt(command) : handlePrompt(command)
        case .confirm: return handleConfirm(command)
        }
        return []
    }

    private mutating func handleCache(_ command: Command) -> [Effect] {
        switch command {
        case .moveUp: cacheView.moveSelection(by: -1)
        case .moveDown: cacheView.moveSelection(by: 1)
        case .pageUp: cacheView.page(down: false)
        case .pageDown: cacheView.page(down: true)
        case .moveToTop: cacheView.jump(toEnd: false)
        case .moveToBottom: cacheView.jump(toEnd: true)
        case .closeCache:
            screen = .products
            cacheView = CacheViewState()
        case .flushEntry:
            guard let session, let row = cacheView.selectedRow else { return [] }
            switch row {
            case .entry(let entry):
                guard !flushPending else { return [] }
                flushPending = true
                return [.flushEntry(user: entry.username, session: session.id)]
            case .counter(let counter):
                guard let user = counter.username else {
                    message = Message("This counter's account is not a known user: it cannot be unlocked by name; it goes in \(CacheViewState.timeLeft(milliseconds: counter.timeToLiveMilliseconds)).", .info)
                    return []
                }
                return [.unlock(user: user, session: session.id)]
            }
        case .unlockAccount:
            guard let session, let row = cacheView.selectedRow else { return [] }
            guard let user = row.username else {
                message = Message("Not a known user: only a known account can be unlocked.", .info)
                return []
            }
            return [.unlock(user: user, session: session.id)]
        case .logout: return logout()
        default: break
        }
        return []
    }

    /// Reads the cache or users view again when it is open.
    private func refreshView() -> [Effect] {
        guard let session else { return [] }
        switch screen {
        case .cache: return [.loadCacheView(session: session.id)]
        case .users: return [.loadUsers(session: session.id)]
        default: return []
        }
    }

    private mutating func handleUsers(_ command: Command) -> [Effect] {
        switch command {
        case .moveUp: usersView.moveSelection(by: -1)
        case .moveDown: usersView.moveSelection(by: 1)
        case .pageUp: usersView.page(down: false)
        case .pageDown: usersView.page(down: true)
        case .moveToTop: usersView.jump(toEnd: false)
        case .moveToBottom: usersView.jump(toEnd: true)
        case .closeUsers:
            screen = .products
            usersView = UsersViewState()
        case .addUser, .changePassword, .deleteUser:
            if let reason = mode.userChangesUnavailableReason {
                message = Message("Not here: \(reason).", .info)
                return []
            }
            guard !usersView.pending else {
                message = Message("A change is still running.", .info)
                return []
            }
            switch command {
            case .addUser:
                usersView.prompt = .newName(UsersViewState.Prompt.nameField())
            case .changePassword:
                guard let user = usersView.selectedUser else { return [] }
                usersView.prompt = .changePassword(user: user.username, UsersViewState.Prompt.passwordField())
            default:
                guard let user = usersView.selectedUser else { return [] }
                usersView.prompt = .confirmDelete(user: user.username)
            }
        case .unlockAccount:
            guard let session, let user = usersView.selectedUser else { return [] }
            return [.unlock(user: user.username, session: session.id)]
        case .logout: return logout()
        default: break
        }
        return []
    }

    private mutating func handlePrompt(_ command: Command) -> [Effect] {
        guard let prompt = usersView.prompt, var field = prompt.field else { return [] }
        switch command {
        case .cancelPrompt:
            usersView.prompt = nil
            message = Message("Cancelled.", .info)
        case .acceptPrompt:
            guard !field.isEmpty, let session else { return [] }
            let text = field.text
            field.clear()
            switch prompt {
            case .newName:
                usersView.prompt = .newPassword(user: text, UsersViewState.Prompt.passwordField())
            case .newPassword(let user, _):
                usersView.prompt = .repeatPassword(user: user, first: text, adding: true, UsersViewState.Prompt.passwordField())
            case .changePassword(let user, _):
                usersView.prompt = .repeatPassword(user: user, first: text, adding: false, UsersViewState.Prompt.passwordField())
            case .repeatPassword(let user, let first, let adding, _):
                guard text == first else {
                    // Back to the first prompt, empty: which of the two was mistyped is not knowable.
                    let field = UsersViewState.Prompt.passwordField()
                    usersView.prompt = adding ? .newPassword(user: user, field) : .changePassword(user: user, field)
                    message = Message("The two passwords differ: type it again.", .error)
                    return []
                }
                usersView.prompt = nil
                usersView.pending = true
                return [adding ? .addUser(name: user, password: text, session: session.id)
                               : .setPassword(user: user, password: text, session: session.id)]
            case .confirmDelete:
                break
            }
        default:
            Self.edit(command, &field)
            usersView.prompt = prompt.with(field)
        }
        return []
    }

    private mutating func handleConfirm(_ command: Command) -> [Effect] {
        guard case .confirmDelete(let user)? = usersView.prompt else { return [] }
        usersView.prompt = nil
        guard command == .confirmYes, let session else {
            message = Message("\(user) was not deleted.", .info)
            return []
        }
        usersView.pending = true
        return [.deleteUser(user: user, session: session.id)]
    }

    private mutating func handleLogin(_ command: Command) -> [Effect] {
        if let attempt = pendingLogin {
            // The form waits for the answer; Esc stops waiting (a hung store
            // must not hold the form). A late answer is ignored.
            guard command == .clearForm else { return [] }
            pendingLogin = nil
            login.focus = .password
            loginFeedback = Message("Login cancelled.", .info)
            return [.cancelLogin(session: attempt)]
        }
        switch command {
        case .nextField, .previousField:
            login.focus = login.focus == .username ? .password : .username
        case .submit:
            return submit()
        case .clearForm:
            login = LoginForm()
            loginFeedback = nil
        default:
            Self.edit(command, &login.focused)
        }
        return []
    }

    private mutating func submit() -> [Effect] {
        if login.username.isEmpty {
            login.focus = .username
            loginFeedback = Message("Type a username.", .info)
            return []
        }
        if login.password.isEmpty {
            login.focus = .password
            loginFeedback = Message("Type the password.", .info)
            return []
        }
        let typed = (username: login.username.text, password: login.password.text)
        // The password leaves the state with the effect.
        login.password.clear()
        guard let credentials = try? Credentials(username: typed.username, password: typed.password) else {
            // Input the form let through but the rules refuse: a failed login like any other.
            loginFeedback = Message(AuthOutcome.failureMessage, .error)
            login.focus = .password
            return []
        }
        lastAttempt += 1
        pendingLogin = lastAttempt
        loginFeedback = nil
        return [.login(credentials, session: lastAttempt)]
    }

    private mutating func loginFinished(attempt: Int, _ result: LoginResult) -> [Effect] {
        guard attempt == pendingLogin else { return [] }
        pendingLogin = nil
        switch result {
        case .authenticated(let authentication):
            session = Session(id: attempt, authentication: authentication)
            login = LoginForm()
            loginFeedback = nil
            if cacheBypassed && !authentication.cacheBypassed {
                // Remotely the server decides: it skips Redis for its --admin-users only.
                message = Message("The server did not skip Redis: it does for its --admin-users only (o puts Redis back).", .info)
            }
            screen = .products
            table = ProductTable()
            productsLoading = true
            productsError = nil
            burst = nil
            fitTable()
            return [.loadProducts(session: attempt)]
        case .rejected:
            loginFeedback = Message(AuthOutcome.failureMessage, .error)
            login.focus = .password
        case .unavailable(let reason):
            loginFeedback = Message(reason, .error)
            login.focus = .password
        case .throttled(let retryAfter):
            loginFeedback = Message(AuthOutcome.throttledMessage(retryAfter: retryAfter), .error)
            login.focus = .password
        }
        return []
    }

    private mutating func handleTable(_ command: Command) -> [Effect] {
        switch command {
        case .moveUp: table.moveSelection(by: -1)
        case .moveDown: table.moveSelection(by: 1)
        case .pageUp: table.page(down: false)
        case .pageDown: table.page(down: true)
        case .moveToTop: table.jump(toEnd: false)
        case .moveToBottom: table.jump(toEnd: true)
        case .sortByID: table.sort(by: .id)
        case .sortByName: table.sort(by: .name)
        case .sortByPrice: table.sort(by: .price)
        case .sortByNextColumn: table.sortByNextColumn()
        case .reverseSort: table.reverseSort()
        case .startFilter: table.isEditingFilter = true
        case .startSearch: table.beginSearch()
        case .nextMatch, .previousMatch:
            // With no search kept, n and N start one (as F3 does in htop).
            if table.search.isEmpty {
                table.beginSearch()
            } else {
                stepSearch(forward: command == .nextMatch)
            }
        case .clearFilter:
            // Esc closes the detail first, then stops a running burst; else it
            // clears the search, and then the filter.
            if detailOpen { detailOpen = false; return [] }
            if let burst, !burst.finished { return stopBurst() }
            if !table.search.isEmpty {
                table.clearSearch()
                return []
            }
            table.clearFilter()
        case .toggleDetail:
            detailOpen = table.selectedRow != nil && !detailOpen
        case .flushUser, .flushAll: return flush(user: command == .flushUser ? session?.authentication.username : nil)
        case .burst: return askBurst()
        case .demo: return startDemo()
        case .logout: return logout()
        case .openUsers:
            guard let session else { return [] }
            detailOpen = false
            screen = .users
            usersView = UsersViewState()
            fitTable()
            return [.loadUsers(session: session.id)]
        case .openCache:
            guard let session else { return [] }
            detailOpen = false
            screen = .cache
            cacheView = CacheViewState()
            fitTable()
            return [.loadCacheView(session: session.id)]
        default: break
        }
        return []
    }

    private mutating func handleFilter(_ command: Command) -> [Effect] {
        switch command {
        case .acceptFilter:
            table.isEditingFilter = false
        case .clearFilter:
            table.clearFilter()
            table.isEditingFilter = false
        case .moveUp: table.moveSelection(by: -1)
        case .moveDown: table.moveSelection(by: 1)
        case .pageUp: table.page(down: false)
        case .pageDown: table.page(down: true)
        default:
            _ = table.editFilter { field in
                Self.edit(command, &field)
                return nil
            }
        }
        return []
    }

    private mutating func handleSearch(_ command: Command) -> [Effect] {
        switch command {
        case .acceptSearch:
            let empty = table.search.isEmpty
            table.acceptSearch()
            if empty {
                table.clearSearch()
            } else if table.searchMatches.isEmpty {
                message = Message(Self.noMatchMessage(table.search.text), .info)
            }
        case .cancelSearch:
            table.cancelSearch()
        case .nextMatch, .previousMatch:
            stepSearch(forward: command == .nextMatch)
        default:
            _ = table.editSearch { field in
                Self.edit(command, &field)
                return nil
            }
        }
        return []
    }

    /// `n` or `N`: the next or previous match; the footer says when the search wrapped (as vim does) or found nothing.
    private mutating func stepSearch(forward: Bool) {
        switch table.stepSearch(forward: forward) {
        case .moved: break
        case .wrapped(let toTop):
            message = Message(toTop ? "search wrapped to the top" : "search wrapped to the bottom", .info)
        case .noMatch:
            message = Message(Self.noMatchMessage(table.search.text), .info)
        }
    }

    /// `no match for “lamp”` (within the filter, when there is one).
    static func noMatchMessage(_ text: String) -> String {
        "no match for “\(DisplayWidth.truncate(text, to: 40))”"
    }

    private mutating func flush(user: String?) -> [Effect] {
        guard mode.canFlush else {
            message = Message("Flushing is not available: \(mode.flushUnavailableReason ?? "not in this mode").", .error)
            return []
        }
        guard !flushPending else { return [] }
        flushPending = true
        return [.flushCache(user: user)]
    }

    /// `b`: asks for the size and concurrency (Enter keeps the last ones).
    private mutating func askBurst() -> [Effect] {
        guard session != nil else { return [] }
        if let burst, !burst.finished {
            message = Message("A burst is already running.", .info)
            return []
        }
        burstPrompt = TextField(limit: .characters(16))
        return []
    }

    private mutating func handleBurstPrompt(_ command: Command) -> [Effect] {
        guard var field = burstPrompt else { return [] }
        switch command {
        case .cancelPrompt:
            burstPrompt = nil
        case .acceptPrompt:
            guard let settings = burstSettings.parse(field.text) else {
                message = Message("A burst is 1 to \(BurstSettings.maxCount) logins, 1 to \(BurstSettings.maxConcurrency) at once: e.g. 50 4.", .error)
                return []
            }
            burstPrompt = nil
            burstSettings = settings
            return startBurst()
        default:
            Self.edit(command, &field)
            burstPrompt = field
        }
        return []
    }

    private mutating func startBurst() -> [Effect] {
        guard let session else { return [] }
        burst = BurstState(total: burstSettings.count)
        return [.burst(count: burstSettings.count, concurrency: burstSettings.concurrency, session: session.id)]
    }

    private mutating func startDemo() -> [Effect] {
        guard let session else { return [] }
        guard mode.canFlush else {
            message = Message("The demo flushes your hash first: \(mode.flushUnavailableReason ?? "not in this mode").", .error)
            return []
        }
        if let demo, !demo.finished { return [] }
        if let burst, !burst.finished {
            message = Message("A burst is running (Esc stops it).", .info)
            return []
        }
        demo = DemoState()
        return [.demo(session: session.id)]
    }

    /// `Demo: 1st PostgreSQL 1.9 ms, 2nd Redis 0.05 ms (lookups)`.
    static func demoSummary(_ demo: DemoState) -> String {
        let parts = demo.logins.enumerated().map { index, login in
            "\(index == 0 ? "1st" : "2nd") \(login.source?.displayName ?? "failed") \(login.lookup.millisecondsValue.compactMilliseconds) ms"
        }
        return "Demo: " + parts.joined(separator: ", ") + " (lookups)"
    }

    private mutating func stopBurst() -> [Effect] {
        guard var running = burst, !running.finished else { return [] }
        running.finished = true
        running.failure = "stopped after \(running.samples.count) of \(running.total) logins"
        burst = running
        message = Message("Burst stopped after \(running.samples.count) of \(running.total) logins.", .info)
        return [.stopBurst]
    }

    private mutating func logout() -> [Effect] {
        let name = session?.authentication.username
        let burstRunning = burst.map { !$0.finished } ?? false
        session = nil
        screen = .login
        table = ProductTable()
        productsLoading = false
        productsError = nil
        burst = nil
        demo = nil
        detailOpen = false
        cacheView = CacheViewState()
        usersView = UsersViewState()
        // The username stays (flush, log out, log in again needs no
        // retyping); only the password goes, and the cursor waits there.
        var form = LoginForm()
        if let name { _ = form.username.insert(name) }
        form.focus = name == nil ? .username : .password
        login = form
        loginFeedback = name.map { Message(burstRunning ? "Burst stopped; \($0) logged out." : "\($0) logged out.", .info) }
        return (burstRunning ? [.stopBurst] : []) + [.forgetCredentials]
    }

    /// `Burst: PostgreSQL 1×1.9, Redis 19×0.05 ms`: logins × mean lookup, per store (short: it is for small terminals).
    static func burstSummary(_ burst: BurstState) -> String {
        var sources: [AuthSource] = []
        for source in burst.samples.compactMap(\.source) where !sources.contains(source) { sources.append(source) }
        let parts = sources.map { source -> String in
            let values = burst.samples.filter { $0.source == source }.map(\.latency.millisecondsValue)
            let mean = values.reduce(0, +) / Double(max(1, values.count))
            return "\(source.displayName) \(values.count)×\(mean.compactMilliseconds)"
        }
        return "Burst: " + (parts.isEmpty ? "no login succeeded" : parts.joined(separator: ", ") + " ms")
    }

    private func flushMessage(_ result: FlushResult) -> Message {
        switch result {
        case .flushed(let user?, let removed):
            return removed > 0
                ? Message("Flushed \(user)'s cached hash: the next login reads PostgreSQL.", .ok)
                : Message("\(user) had no cached hash: the next login reads PostgreSQL.", .ok)
        case .flushed(nil, let removed):
            return Message("Flushed \(removed) cached \(removed == 1 ? "hash" : "hashes").", .ok)
        case .failed(let reason):
            return Message("Flush failed: \(reason)", .error)
        }
    }

    // MARK: - Typing

    private mutating func insert(_ typed: String) {
        // A pasted line often ends in its newline: one is dropped (more, or
        // one inside, are still refused).
        var text = typed
        if text.count > 1, let last = text.last, last == "\n" || last == "\r" || last == "\r\n" { text.removeLast() }
        switch inputContext {
        case .login:
            guard pendingLogin == nil else { return }
            if let refusal = login.focused.insert(text) {
                loginFeedback = refusalMessage(refusal, field: login.focus == .username ? "username" : "password", pasted: text.count > 1)
            } else if loginFeedback?.kind == .info {
                loginFeedback = nil
            }
        case .filter:
            if let refusal = table.editFilter({ $0.insert(text) }) {
                message = refusalMessage(refusal, field: "filter", pasted: text.count > 1)
            }
        case .search:
            if let refusal = table.editSearch({ $0.insert(text) }) {
                message = refusalMessage(refusal, field: "search", pasted: text.count > 1)
            }
        case .prompt where burstPrompt != nil:
            if var field = burstPrompt, field.insert(text) == nil { burstPrompt = field }
        case .prompt:
            guard let prompt = usersView.prompt, var field = prompt.field else { return }
            if let refusal = field.insert(text) {
                message = refusalMessage(refusal, field: prompt.isSecret ? "password" : "username", pasted: text.count > 1)
            } else {
                usersView.prompt = prompt.with(field)
            }
        default:
            break
        }
    }

    private func refusalMessage(_ refusal: TextField.Refusal, field: String, pasted: Bool) -> Message {
        switch refusal {
        case .tooLong(let limit):
            return pasted
                ? Message("Paste refused: it does not fit the \(field) (at most \(limit.description)).", .error)
                : Message("The \(field) is at most \(limit.description).", .error)
        case .controlCharacters:
            return Message("Paste refused: it contains control characters.", .error)
        }
    }

    private static func edit(_ command: Command, _ field: inout TextField) {
        switch command {
        case .deleteBackward: field.deleteBackward()
        case .deleteForward: field.deleteForward()
        case .cursorLeft: field.moveCursor(by: -1)
        case .cursorRight: field.moveCursor(by: 1)
        case .cursorHome: field.moveCursor(toEnd: false)
        case .cursorEnd: field.moveCursor(toEnd: true)
        case .clearField: field.clear()
        case .cursorWordLeft: field.moveWordLeft()
        case .cursorWordRight: field.moveWordRight()
        case .deleteWordForward: field.deleteWordForward()
        case .deleteWordBackward: field.deleteWordBackward()
        default: break
        }
    }

    private mutating func scrollHelp(_ command: Command) {
        guard var help else { return }
        let page = max(1, layout.body.height - 2)
        switch command {
        case .moveUp: help.scroll -= 1
        case .moveDown: help.scroll += 1
        case .pageUp: help.scroll -= page
        case .pageDown: help.scroll += page
        default: break
        }
        let lines = keymap.helpLineCount(mode: mode)
        help.scroll = max(0, min(help.scroll, lines - max(1, layout.body.height - 2)))
        self.help = help
    }

    /// The wheel moves the selection (or scrolls the help) by three rows; a
    /// left click on a table row selects it.
    private mutating func handleMouse(_ mouse: MouseEvent) {
        switch inputContext {
        case .help:
            switch mouse.kind {
            case .wheelUp: for _ in 0..<3 { scrollHelp(.moveUp) }
            case .wheelDown: for _ in 0..<3 { scrollHelp(.moveDown) }
            case .press: break
            }
        case .cache:
            switch mouse.kind {
            case .wheelUp: cacheView.moveSelection(by: -3)
            case .wheelDown: cacheView.moveSelection(by: 3)
            case .press(0):
                let main = layout.main
                guard (main.x..<main.maxX).contains(mouse.x), mouse.y > main.y, mouse.y < main.maxY else { return }
                let position = cacheView.top + (mouse.y - main.y - 1)
                guard position < cacheView.rows.count else { return }
                cacheView.moveSelection(by: position - cacheView.selected)
            case .press: break
            }
        case .table, .filter, .search:
            switch mouse.kind {
            case .wheelUp: table.moveSelection(by: -3)
            case .wheelDown: table.moveSelection(by: 3)
            case .press(0):
                let main = layout.main
                let firstRow = main.y + 1
                // A click on a heading sorts by that column (again: reverses).
                if mouse.y == main.y, screen == .products, let column = TableView.column(atX: mouse.x, table.rows, in: main) {
                    table.sort(by: column)
                    return
                }
                guard (main.x..<main.maxX).contains(mouse.x), mouse.y >= firstRow, mouse.y < main.maxY else { return }
                let position = table.top + (mouse.y - firstRow)
                guard position < table.visibleCount else { return }
                table.moveSelection(by: position - table.selected)
            case .press: break
            }
        default:
            break
        }
    }

    /// Tells the table how many rows fit at the current size.
    private mutating func fitTable() {
        table.setViewport(rows: layout.tableRows)
        cacheView.setViewport(rows: layout.tableRows)
        usersView.setViewport(rows: layout.tableRows)
    }
}
