/// One undoable change to an image's mask (one stroke, fill, gradient, invert, clear or load): the rectangle
/// that changed with its values before and after, and the level when the change moved it too (invert).
struct UndoStep: Equatable, Sendable {
    var name: String
    var rect: PixelRect
    var before: [Float]
    var after: [Float]
    var levelBefore: Float?
    var levelAfter: Float?
}

/// Undo and redo stacks; the oldest steps are dropped beyond `limit`.
struct UndoHistory: Equatable, Sendable {
    static let defaultLimit = 100

    private(set) var undoSteps: [UndoStep] = []
    private(set) var redoSteps: [UndoStep] = []
    var limit = UndoHistory.defaultLimit

    /// Records a change (whose before/after differ) and forgets what could be redone.
    mutating func record(_ step: UndoStep) {
        undoSteps.append(step)
        if undoSteps.count > limit { undoSteps.removeFirst(undoSteps.count - limit) }
        redoSteps.removeAll()
    }

    /// Records the difference between two layers inside `rect` (nothing when identical).
    mutating func record(name: String, before: MaskLayer, after: MaskLayer, rect: PixelRect,
                         levelBefore: Float? = nil, levelAfter: Float? = nil) {
        let r = rect.clamped(width: after.width, height: after.height)
        let b = r.isEmpty ? [] : before.copy(r), a = r.isEmpty ? [] : after.copy(r)
        let changed = zip(b, a).contains { !($0 == $1 || ($0.isNaN && $1.isNaN)) } || levelBefore != levelAfter
        guard changed else { return }
        record(UndoStep(name: name, rect: r, before: b, after: a, levelBefore: levelBefore, levelAfter: levelAfter))
    }

    mutating func popUndo() -> UndoStep? {
        guard let step = undoSteps.popLast() else { return nil }
        redoSteps.append(step)
        return step
    }

    mutating func popRedo() -> UndoStep? {
        guard let step = redoSteps.popLast() else { return nil }
        undoSteps.append(step)
        return step
    }
}
