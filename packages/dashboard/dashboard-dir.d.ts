/** Where the built dashboard is (index.html and assets/): the server serves it at /ui/. */
export declare const dashboardDir: string;
