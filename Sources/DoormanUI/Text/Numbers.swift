extension String {
    /// `value` with `digits` decimals, without Foundation's locale handling.
    init(format2 value: Double, digits: Int) {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var fraction = String(Int(scaled.truncatingRemainder(dividingBy: scale)))
        while fraction.count < digits { fraction = "0" + fraction }
        self = (value < 0 && scaled != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + fraction : "")
    }
}

extension Duration {
    /// The duration in milliseconds.
    var millisecondsValue: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
