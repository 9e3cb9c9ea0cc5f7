/// A binary min-heap in a given order: the k-way merges of partitions and shards, which
/// take the smallest of many sorted streams row by row.
struct MinHeap<Element> {
  private var elements: [Element] = []
  private let less: (Element, Element) -> Bool

  /// An empty heap ordered by `less`.
  init(less: @escaping (Element, Element) -> Bool) { self.less = less }

  var isEmpty: Bool { elements.isEmpty }
  var count: Int { elements.count }

  /// Adds an element.
  mutating func push(_ element: Element) {
    elements.append(element)
    var child = elements.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard less(elements[child], elements[parent]) else { break }
      elements.swapAt(child, parent)
      child = parent
    }
  }

  /// Removes and returns the smallest element.
  mutating func pop() -> Element? {
    guard !elements.isEmpty else { return nil }
    elements.swapAt(0, elements.count - 1)
    let smallest = elements.removeLast()
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smaller = parent
      if left < elements.count, less(elements[left], elements[smaller]) { smaller = left }
      if right < elements.count, less(elements[right], elements[smaller]) { smaller = right }
      guard smaller != parent else { break }
      elements.swapAt(parent, smaller)
      parent = smaller
    }
    return smallest
  }
}
