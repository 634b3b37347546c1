#include <iostream>
#include <numeric>
#include <vector>

int main() {
    std::vector<int> numbers(100);
    std::iota(numbers.begin(), numbers.end(), 1);
    std::cout << "Hello World!" << std::endl;
    std::cout << "1 + ... + 100 = " << std::accumulate(numbers.begin(), numbers.end(), 0) << std::endl;
    return 0;
}
