import DoormanCore

/// The users view (`u`): name, password version, cache state with its TTL,
/// failures and whether the throttle locks the account.
enum UsersView {
    static let gap = 2

    static func draw(_ state: AppState, in rect: Rect, into buffer: inout ScreenBuffer) {
        guard rect.height >= 2, rect.width >= 20 else { return }
        let view = state.usersView
        // The user takes what the other columns leave (they fit in 34 columns).
        let userWidth = max(10, min(32, rect.width - 34))
        let columns: [(title: String, width: Int, right: Bool)] = [("User", userWidth, false), ("Ver", 4, false), ("Cached", 9, false), ("Fails", 5, true), ("Lock", 6, false)]
        buffer.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .tableHeader)
        var x = rect.x + 1
        var xs: [Int] = []
        for column in columns {
            xs.append(x)
            if x + column.width <= rect.maxX { buffer.write(DisplayWidth.pad(column.title, to: column.width, alignRight: column.right), x: x, y: rect.y, role: .tableHeader) }
            x += column.width + gap
        }
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        if !view.loaded {
            if let error = view.error {
                buffer.center(DisplayWidth.truncate("Cannot list the users: \(error)", to: body.width - 2), in: body, y: body.y + body.height / 2, role: .statusError)
            } else {
                buffer.center("\(state.spinner) Reading the users…", in: body, y: body.y + body.height / 2, role: .spinner)
            }
            return
        }
        if view.users.isEmpty {
            buffer.center("No users. a adds one.", in: body, y: body.y + body.height / 2, role: .tableRow)
            return
        }
        let end = min(view.users.count, view.top + body.height)
        for position in view.top..<end {
            let y = body.y + position - view.top
            let user = view.users[position]
            let selected = position == view.selected
            let role: Role = selected ? .tableSelected : .tableRow
            buffer.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: role)
            let failures = max(user.accountFailures, user.pairFailures)
            let cells = [
                DisplayWidth.truncate(user.username, to: userWidth),
                "v\(user.version)",
                user.cached ? "yes " + CacheViewState.timeLeft(milliseconds: user.cachedTimeToLiveMilliseconds) : "no",
                failures == 0 ? "0" : "\(failures)",
                user.locked ? "LOCKED" : "",
            ]
            for (index, cell) in cells.enumerated() where xs[index] + columns[index].width <= rect.maxX {
                let cellRole: Role = !selected && index == 4 && user.locked ? .statusError : role
                buffer.write(DisplayWidth.pad(cell, to: columns[index].width, alignRight: columns[index].right), x: xs[index], y: y, role: cellRole)
            }
        }
    }
}
