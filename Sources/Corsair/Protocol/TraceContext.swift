/// The trace propagation fields a request carries to its server: for a W3C tracer, `traceparent`
/// and, when it has one, `tracestate`.
///
/// Corsair is the carrier, not the propagator: the tracer of the sending side writes whatever fields
/// its propagation format uses, and the receiving side's tracer reads them back (see
/// ``RequestHeader/traceContext`` and docs/PROTOCOL.md). Tracing is best-effort, so a field
/// that would not fit the header is dropped rather than failing the request.
///
/// ```swift
/// var context = TraceContext()
/// context["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
/// header.traceContext = context
/// ```
public struct TraceContext: Hashable, Sendable {
    /// One propagation field: a name such as `traceparent` and its value.
    public struct Field: Hashable, Sendable {
        /// The field's name: 1 to 255 UTF-8 bytes.
        public let name: String
        /// The field's value: UTF-8, possibly empty.
        public let value: String
    }

    /// The fields, in the order they were first set. Names are unique.
    public private(set) var fields: [Field] = []

    /// The bytes the fields take on the wire, without the field's own 2-byte length.
    private(set) var encodedSize = 0

    /// An empty context: a header with it carries no trace context field at all.
    public init() {}

    /// Whether no field is set.
    public var isEmpty: Bool { self.fields.isEmpty }

    /// The value of the field `name`, or `nil`. Setting a value replaces the field's earlier one;
    /// setting `nil` removes it. A name that is empty or over 255 UTF-8 bytes, or a value that would
    /// take the fields past 65,535 bytes, is not stored.
    public subscript(name: String) -> String? {
        get { self.fields.first { $0.name == name }?.value }
        set {
            let index = self.fields.firstIndex { $0.name == name }
            if let index {
                self.encodedSize -= Self.size(of: self.fields[index])
                self.fields.remove(at: index)
            }
            guard let newValue else { return }
            self.set(Field(name: name, value: newValue), at: index)
        }
    }

    /// Stores `field` (at `index`, where a field of that name was) when it fits; whether it did.
    @discardableResult
    private mutating func set(_ field: Field, at index: Int? = nil) -> Bool {
        let nameLength = field.name.utf8.count
        let size = Self.size(of: field)
        guard (1...WireFormat.maxTraceFieldNameLength).contains(nameLength),
            self.encodedSize + size <= WireFormat.maxTraceContextLength
        else { return false }
        self.fields.insert(field, at: index ?? self.fields.endIndex)
        self.encodedSize += size
        return true
    }

    /// A field's bytes on the wire: name length, name, value length, value.
    private static func size(of field: Field) -> Int {
        1 + field.name.utf8.count + 2 + field.value.utf8.count
    }

    /// Appends the field's 2-byte length and the fields.
    func encode(into out: inout [UInt8]) {
        out.appendBigEndian(UInt16(truncatingIfNeeded: self.encodedSize))
        for field in self.fields {
            out.append(UInt8(truncatingIfNeeded: field.name.utf8.count))
            out.append(contentsOf: field.name.utf8)
            out.appendBigEndian(UInt16(truncatingIfNeeded: field.value.utf8.count))
            out.append(contentsOf: field.value.utf8)
        }
    }

    /// Reads the fields of a trace context whose bytes (after its 2-byte length) are `bytes`.
    ///
    /// Never traps. Throws `malformedHeader` for no fields, a field that runs past the end, an empty
    /// name or a repeated name; `invalidText` for a name or value that is not UTF-8.
    static func decode(_ bytes: UnsafeRawBufferPointer, requestID: RequestID) throws(ProtocolError) -> TraceContext {
        guard !bytes.isEmpty else {
            throw ProtocolError(
                code: .malformedHeader,
                message: "request header has the trace context flag but a trace context of 0 bytes",
                requestID: requestID
            )
        }
        var context = TraceContext()
        var offset = 0
        while offset < bytes.count {
            let nameLength = Int(bytes[offset])
            let nameStart = offset + 1
            let valueLengthAt = nameStart + nameLength
            guard nameLength > 0, valueLengthAt + 2 <= bytes.count else {
                throw ProtocolError(
                    code: .malformedHeader,
                    message: nameLength == 0
                        ? "request header's trace context has a field with an empty name"
                        : "request header's trace context field at byte \(offset) runs past its \(bytes.count) bytes",
                    requestID: requestID
                )
            }
            let valueStart = valueLengthAt + 2
            let valueEnd = valueStart + Int(bytes.readBigEndian(at: valueLengthAt, as: UInt16.self))
            guard valueEnd <= bytes.count else {
                throw ProtocolError(
                    code: .malformedHeader,
                    message: "request header's trace context field at byte \(offset) runs past its \(bytes.count) bytes",
                    requestID: requestID
                )
            }
            guard let name = String(validating: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<valueLengthAt]), as: UTF8.self),
                let value = String(validating: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
            else {
                throw ProtocolError(code: .invalidText, message: "request header's trace context is not valid UTF-8", requestID: requestID)
            }
            guard context[name] == nil else {
                throw ProtocolError(
                    code: .malformedHeader,
                    message: "request header's trace context repeats the field \"\(name)\"",
                    requestID: requestID
                )
            }
            // Within 65,535 bytes, as the whole is, and with a name of 1-255 bytes: always stored.
            context.set(Field(name: name, value: value))
            offset = valueEnd
        }
        return context
    }
}
