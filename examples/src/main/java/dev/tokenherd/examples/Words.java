package dev.tokenherd.examples;

/** Counted nouns that read right: "1 refresh", "2 refreshes", "1 token family". */
final class Words {
  private Words() {}

  /** {@code n} and the noun, with an {@code s} unless {@code n} is one: "1 call", "2 calls". */
  static String count(long n, String noun) {
    return count(n, noun, noun + "s");
  }

  /** {@code n} and the singular or the plural: "1 token family", "3 token families". */
  static String count(long n, String singular, String plural) {
    return String.format("%,d %s", n, n == 1 ? singular : plural);
  }

  /** "once", "twice", "3 times". */
  static String times(long n) {
    return n == 1 ? "once" : n == 2 ? "twice" : String.format("%,d times", n);
  }
}
