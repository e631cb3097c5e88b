/// Large messages' memory goes back to the system once they are served: a server that took one
/// 16 MiB message should not hold a peak's memory for good.
public enum LargeMessageMemory {
    /// Blocks of a megabyte or more (a large message's bytes and values) are mapped on their own
    /// and unmapped when freed. glibc otherwise raises its mapping threshold after the first such
    /// free, and later large blocks land in per-thread heaps that keep the pages. Call at start-up.
    public static func configure() {
        _ = setMallocOption(mmapThreshold, 1 << 20)
    }

    /// Hands the free pages of every heap back to the system.
    static func release() {
        _ = trimMallocHeaps(0)
    }

    /// M_MMAP_THRESHOLD of malloc.h.
    private static let mmapThreshold: Int32 = -3
}

// glibc's mallopt and malloc_trim (malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func setMallocOption(_ option: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func trimMallocHeaps(_ padding: Int) -> Int32
