/// One metric point accepted by the writer and waiting for its multi-row insert.
struct HeldPoint {
    let runID: Int64
    let keyID: Int64
    let step: Int64
    let value: Double
    let time: Double
    let attempt: Int64
}
