// What a user's project resolves must be what this build's tests run on: the same artifacts at
// the same versions, and one version of Netty and of Reactor. Runs after the consumer build.

def parse = { File file ->
  def coordinates = [:]
  file.eachLine { line ->
    def text = line.trim().replaceAll(/ -- .*$/, '')
    def parts = text.split(':')
    if (parts.length >= 5 && !text.startsWith('The following')) {
      // groupId:artifactId:type[:classifier]:version:scope
      def key = parts[0] + ':' + parts[1] + (parts.length == 6 ? ':' + parts[3] : '')
      coordinates[key] = parts[parts.length - 2]
    }
  }
  coordinates
}

def tested = parse(new File(testedRuntime))
def resolved = parse(new File(basedir, 'target/resolved-runtime.txt'))
def tree = new File(basedir, 'target/tree.txt').text
assert !tested.isEmpty() : 'the tested classpath is empty'
assert !resolved.isEmpty() : 'the consumer resolved nothing'

def problems = []
(tested.keySet() + resolved.keySet()).toSorted().each { key ->
  if (tested[key] != resolved[key]) {
    problems << "${key}: tested ${tested[key] ?: 'absent'}, a user gets ${resolved[key] ?: 'absent'}"
  }
}
['io.netty', 'io.projectreactor'].each { group ->
  def versions = (tree =~ /${group.replace('.', '\\.')}:(netty-[a-z0-9-]+|reactor-core):jar:([^:\s]+)/)
      .collect { it[1].startsWith('netty-tcnative') ? null : it[2] }.findAll().toSet()
  if (versions.size() > 1) {
    problems << "${group}: mixed versions in the consumer's dependency:tree: ${versions}"
  }
}
println "consumer-check: ${resolved.size()} runtime artifacts resolved by a user's project," +
    " ${tested.size()} on the tested classpath"
if (!problems.isEmpty()) {
  throw new AssertionError("a user's project resolves other versions than the tests run on:\n  " +
      problems.join('\n  ') + '\n(see ' + new File(basedir, 'target/tree.txt') + ')')
}
return true
