/// The simulator's one source of randomness: wyrand, seeded, fast, and the same on every machine.
///
/// Every random choice of a run (arrivals, clients, shards, reply times, backoff jitter) draws
/// from one generator in event order, so a seed fixes the whole run.
struct SimulationRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0xA076_1D64_78BD_642F
        let product = self.state.multipliedFullWidth(by: self.state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// A uniform number in `0..<1` with 53 random bits.
    mutating func unit() -> Double {
        Double(self.next() >> 11) * 0x1.0p-53
    }
}
