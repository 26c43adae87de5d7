// `npm start`: build if needed, then run the service in this process.
require('./ensure-built');
require('../dist/main');
