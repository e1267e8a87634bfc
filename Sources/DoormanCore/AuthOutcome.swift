/// The result of one login attempt, with where the time went.
///
/// A failed login never says why (wrong password and unknown user look the
/// same); an outage is reported separately so it is never mistaken for a
/// wrong password.
public struct AuthOutcome: Sendable, Equatable {
    /// What happened.
    public enum Result: Sendable, Equatable {
        /// The password matched the hash held by `source`.
        case authenticated(AuthSource)
        /// Wrong password, unknown user, or malformed credentials: one uniform failure.
        case rejected
        /// The source of truth could not be asked (PostgreSQL down on a cache miss).
        case unavailable
        /// Too many failed logins for this account or client: not even checked.
        /// Try again after `retryAfter`.
        case throttled(retryAfter: Duration)
    }

    /// The username as given (never the password).
    public var username: String
    /// What happened.
    public var result: Result
    /// `true` when Redis could not be used for this login (down, slow, or
    /// refusing); the login then went through PostgreSQL alone.
    public var cacheUnavailable: Bool
    /// Time spent looking the hash up, in Redis and PostgreSQL together.
    public var lookupDuration: Duration
    /// Time spent in bcrypt.
    public var bcryptDuration: Duration

    /// What statistics, panels and logs show instead of a name that may
    /// match no user (often a password typed into the wrong field).
    public static let hiddenUsername = "(hidden)"

    /// This outcome with its username hidden, for everything that keeps or
    /// shows outcomes beyond the request.
    public var hidingUsername: AuthOutcome {
        var hidden = self
        hidden.username = Self.hiddenUsername
        return hidden
    }

    /// Creates an outcome.
    public init(
        username: String,
        result: Result,
        cacheUnavailable: Bool = false,
        lookupDuration: Duration = .zero,
        bcryptDuration: Duration = .zero
    ) {
        self.username = username
        self.result = result
        self.cacheUnavailable = cacheUnavailable
        self.lookupDuration = lookupDuration
        self.bcryptDuration = bcryptDuration
    }

    /// The store that authenticated the user, or `nil` when the login failed.
    public var source: AuthSource? {
        if case .authenticated(let source) = result { return source }
        return nil
    }

    /// `true` when the user is logged in.
    public var isAuthenticated: Bool { source != nil }

    /// One line for people, e.g.
    /// `Authenticated by Redis Server (lookup 0.06 ms, bcrypt 45.8 ms)`.
    /// Never contains the password or a hash.
    public var summary: String {
        switch result {
        case .authenticated(let source):
            var line = "Authenticated by \(source.serverName) (lookup \(lookupDuration.milliseconds), bcrypt \(bcryptDuration.milliseconds))"
            if cacheUnavailable { line += "; cache unavailable" }
            return line
        case .rejected:
            return AuthOutcome.failureMessage
        case .unavailable:
            return AuthOutcome.unavailableMessage
        case .throttled(let retryAfter):
            return AuthOutcome.throttledMessage(retryAfter: retryAfter)
        }
    }

    /// `Too many failed attempts; try again in 15 min.`
    public static func throttledMessage(retryAfter: Duration) -> String {
        "Too many failed attempts; try again in \(retryAfter.roundedUpForPeople)."
    }

    /// The one message every failed login shows, whatever the reason.
    public static let failureMessage = "Authentication failed."
    /// The message shown when the source of truth cannot be reached.
    public static let unavailableMessage = "Service unavailable: PostgreSQL cannot be reached; try again shortly."
}

extension Duration {
    /// The duration as milliseconds for people: `0.06 ms`, `45.8 ms`, `1204 ms`.
    public var milliseconds: String {
        let ms = millisecondsValue
        let text: String
        if ms < 1 {
            text = String(fixed: ms, digits: 2)
        } else if ms < 100 {
            text = String(fixed: ms, digits: 1)
        } else {
            text = String(Int(ms.rounded()))
        }
        return text + " ms"
    }

    /// Whole seconds or minutes, rounded up: `42 s`, `15 min`, `2 h`.
    public var roundedUpForPeople: String {
        let seconds = Int((self.seconds).rounded(.up))
        if seconds < 90 { return "\(max(1, seconds)) s" }
        let minutes = (seconds + 59) / 60
        if minutes < 120 { return "\(minutes) min" }
        return "\((minutes + 59) / 60) h"
    }

    /// The duration in (fractional) milliseconds.
    public var millisecondsValue: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }

    /// The duration in (fractional) seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension String {
    /// `value` with a fixed number of decimals (`2.50`), without Foundation's locale handling.
    public init(fixed value: Double, digits: Int) {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var fraction = String(Int(scaled.truncatingRemainder(dividingBy: scale)))
        while fraction.count < digits { fraction = "0" + fraction }
        self = (value < 0 && scaled != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + fraction : "")
    }
}
