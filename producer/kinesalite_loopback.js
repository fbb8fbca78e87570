// Starts kinesalite bound to one address (its own CLI listens on every interface).
// Usage: node kinesalite_loopback.js <node_modules dir> <host> <port> <data dir>
const path = require('path')

const [modulesDir, host, port, dataDir] = process.argv.slice(2)
const kinesalite = require(path.join(modulesDir, 'kinesalite'))

const server = kinesalite({
  path: dataDir,
  createStreamMs: 50,
  deleteStreamMs: 50,
  updateStreamMs: 50,
  shardLimit: 500, // Kinesis' default shard quota in us-east-1; the test suite makes many streams
})
server.listen(Number(port), host, () => {
  const address = server.address()
  console.log(`kinesalite listening on http://${address.address}:${address.port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
process.on('SIGINT', () => server.close(() => process.exit(0)))
