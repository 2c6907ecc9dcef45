// Every 2xx answer of an operation that has a body must have the same body
// (media type and schema): progenitor generates one typed success body per operation.
module.exports = (responses) => {
  if (responses === null || typeof responses !== 'object') return;
  const bodies = new Set();
  for (const [status, response] of Object.entries(responses)) {
    if (!/^2\d\d$/.test(status) || !response || !response.content) continue;
    bodies.add(JSON.stringify(response.content));
  }
  if (bodies.size > 1) {
    return [{ message: `2xx answers carry ${bodies.size} different bodies; progenitor needs one` }];
  }
};
