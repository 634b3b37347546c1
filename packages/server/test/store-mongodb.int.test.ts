import { openMongoStore, type MongoStore } from '../src/store/mongodb/mongo-store.js';
import { describeStoreConformance } from './store-conformance.js';
import { MONGODB_URL, scratchDatabaseName, skipWithoutMongo } from './store-mongodb-env.js';

if (!skipWithoutMongo('MongoDB store conformance'))
  describeStoreConformance({
    name: 'MongoDB',
    async create() {
      const databaseName = scratchDatabaseName();
      const opened: MongoStore[] = [];
      const open = async (): Promise<MongoStore> => {
        const store = await openMongoStore({ url: MONGODB_URL!, databaseName });
        opened.push(store);
        return store;
      };
      const store = await open();
      return {
        store,
        openAnother: open,
        async destroy() {
          // The first store may be closed by the test: drop with a fresh connection.
          const dropper = await openMongoStore({ url: MONGODB_URL!, databaseName });
          await dropper.database.db.dropDatabase();
          await dropper.close();
          for (const instance of opened) await instance.close();
        },
      };
    },
  });
