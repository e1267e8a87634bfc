import DoormanCore
@testable import DoormanUI

/// Drives the state machine the way the UI loop does: keys through the keymap.
extension AppState {
    static let local = ModeInfo(name: "local", detail: "embedded PostgreSQL · embedded Redis")

    static func make(columns: Int = 100, rows: Int = 30, mode: ModeInfo = local) -> AppState {
        AppState(size: TerminalSize(columns: columns, rows: rows), mode: mode, themeName: "dark", themes: ["dark", "light", "monochrome"])
    }

    /// Presses `key`; returns the effects.
    @discardableResult
    mutating func press(_ key: Key) -> [Effect] {
        send(.key(key))
    }

    /// Types `text` as one burst (a paste, or one typed character).
    @discardableResult
    mutating func type(_ text: String) -> [Effect] {
        send(.text(text))
    }

    /// Types `text` one character at a time.
    mutating func typeKeys(_ text: String) {
        for character in text { type(String(character)) }
    }

    @discardableResult
    mutating func send(_ event: InputEvent) -> [Effect] {
        var effects: [Effect] = []
        var remaining: InputEvent? = event
        while let current = remaining {
            let (action, rest) = Keymap.standard.resolve(current, in: inputContext)
            if let action { effects += handle(action) }
            remaining = rest
        }
        return effects
    }

    /// Logs in as `user` through the form and answers with `result`.
    mutating func logIn(_ user: String = "john_doe", password: String = "EXAMPLE_PASSWORD", answer result: LoginResult? = nil) -> [Effect] {
        type(user)
        press(.tab)
        type(password)
        let effects = press(.enter)
        guard case .login(_, let session)? = effects.first else { return effects }
        let answer = result ?? .authenticated(Authentication(username: user, source: .postgres, timing: .local(lookup: .microseconds(1900), bcrypt: .milliseconds(46))))
        return handle(.loginFinished(session: session, answer))
    }

    /// Logs in and loads `products`.
    mutating func logInWithProducts(_ products: [Product]) {
        let effects = logIn()
        guard case .loadProducts(let session)? = effects.first else { return }
        _ = handle(.productsLoaded(session: session, ProductRows(products)))
    }

    /// The names of the visible rows, in order.
    var visibleNames: [String] {
        table.visible.map { table.rows.products[Int($0)].name }
    }

    /// The selected product's name.
    var selectedName: String? {
        table.selectedRow.map { table.rows.products[Int($0)].name }
    }
}

enum Fixtures {
    /// A few products like the seed's, ASCII and not.
    static let products: [Product] = [
        Product(id: 1, name: "1L FOUNTAIN DRINKING WATER", price: "2.55"),
        Product(id: 2, name: "PINK COTTON BUDS", price: "4.85"),
        Product(id: 3, name: "WINE GLASS", price: "9.75"),
        Product(id: 4, name: "CRÈME BRÛLÉE RAMEKIN", price: "6.40"),
        Product(id: 5, name: "緑茶 GREEN TEA 500ML", price: "2.10"),
        Product(id: 6, name: "ラーメン RAMEN BOWL", price: "12.00"),
        Product(id: 7, name: "🍕 PIZZA STONE", price: "24.99"),
        Product(id: 8, name: "E\u{301}PICERIE SAMPLER", price: "19.75"),
        Product(id: 9, name: "CAFÉ AU LAIT BOWL", price: "7.50"),
        Product(id: 10, name: "ＦＵＬＬＷＩＤＴＨ NOTEBOOK", price: "3.30"),
        Product(id: 11, name: "👩\u{200D}🍳 CHEF APRON", price: "17.25"),
        Product(id: 12, name: "ORGANIC MINERAL WATER 1L", price: "1.20"),
    ]

    /// `count` generated products.
    static func many(_ count: Int) -> [Product] {
        let words = ["ORGANIC", "PREMIUM", "SPARKLING", "SMOKED", "GOLDEN", "緑茶", "CAFÉ", "🍕"]
        let nouns = ["WATER", "OLIVE OIL", "GREEN TEA", "RYE BREAD", "HONEY", "CANDLE", "NOTEBOOK"]
        return (1...count).map { index in
            Product(id: Int64(index), name: "\(words[index % words.count]) \(nouns[(index * 7) % nouns.count]) \(index)",
                    price: String(fixed: Double((index * 3761) % 9900 + 99) / 100, digits: 2))
        }
    }
}
