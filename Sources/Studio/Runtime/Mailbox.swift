import Foundation

/// Where background work (renders, file I/O, the canvas encoder, signals) leaves its results for the UI thread,
/// which it wakes up.
final class Mailbox: @unchecked Sendable {
    enum Mail: Sendable {
        case event(Event)
        case canvas(GraphicsPresenter.Encoded)
        case signal(Int32)
        /// What tmux says after a resize (pane position, passthrough), asked off the UI thread.
        case tmux(TmuxContext?)
    }

    private let lock = NSLock()
    private var items: [Mail] = []
    private let wake: @Sendable () -> Void

    init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    func post(_ mail: Mail) {
        lock.withLock { items.append(mail) }
        wake()
    }

    func post(_ event: Event) { post(.event(event)) }

    func drain() -> [Mail] {
        lock.withLock {
            defer { items.removeAll() }
            return items
        }
    }
}
