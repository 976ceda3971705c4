// Read paths for network front ends (the MGM server): one read-lock acquisition per request and no
// per-entry allocation, for listings that go straight onto the wire.

extension Namespace {
    /// Calls `body` with each entry of the directory at `path` (its name bytes, valid only during the
    /// call, and whether it is a directory), in the directory's link order (unsorted, like `readdir`),
    /// under one read lock. `body` must not call back into the namespace.
    public func forEachEntryName(in path: String,
                                 _ body: (_ name: UnsafeRawBufferPointer, _ isDirectory: Bool) -> Void)
        throws(NamespaceError)
    {
        let parts = try NameRules.components(of: path)
        try lock.withReadLock { () throws(NamespaceError) in
            try checkReadable()
            // One copy of the tree value for the walk (read lock held: it cannot change), instead of
            // the implicit copy (retains of every table) each method call on the stored property made.
            let tree = self.tree
            let row = try tree.resolveContainer(parts, path: path)
            var ref = NodeRef(raw: tree.containers.rows[row].firstChild)
            while !ref.isNone {
                let isDirectory = ref.isContainer
                tree.withName(ref) { body($0, isDirectory) }
                ref = tree.links(ref).next
            }
        }
    }
}
