package match

import (
	"math/rand/v2"
	"strings"
)

// exampleWatches are about fifty entities of the kind screening lists hold, with aliases in
// Latin, Han and Cyrillic scripts.
var exampleWatches = [][]string{
	{"Hangzhou Hikvision Digital Technology", "Hikvision", "海康威视"},
	{"Zhejiang Dahua Technology", "Dahua", "大华股份"},
	{"Huawei Technologies Co. Ltd", "Huawei", "华为"},
	{"ZTE Corporation", "ZTE", "中兴通讯"},
	{"Semiconductor Manufacturing International Corporation", "SMIC", "中芯国际"},
	{"iFlytek", "科大讯飞"},
	{"SenseTime", "商汤科技"},
	{"Megvii", "Face++", "旷视科技"},
	{"SZ DJI Technology", "DJI", "大疆"},
	{"Inspur Group", "Inspur", "浪潮"},
	{"Sugon", "Dawning Information Industry", "中科曙光"},
	{"Hytera Communications", "Hytera", "海能达"},
	{"China Mobile", "中国移动"},
	{"China Telecom", "中国电信"},
	{"China Unicom", "中国联通"},
	{"Kaspersky Lab", "Kaspersky", "Лаборатория Касперского"},
	{"Positive Technologies", "Позитив Текнолоджиз"},
	{"Rostec", "Ростех"},
	{"Gazprom", "Газпром"},
	{"Sberbank", "Сбербанк"},
	{"VTB Bank", "ВТБ"},
	{"Rosneft", "Роснефть"},
	{"Lukoil", "Лукойл"},
	{"Wagner Group", "PMC Wagner", "ЧВК Вагнер"},
	{"Mahan Air"},
	{"Islamic Revolutionary Guard Corps", "IRGC"},
	{"Korea Kwangson Banking Corp", "KKBC"},
	{"Tornado Cash"},
	{"Garantex"},
	{"Bitmain", "比特大陆"},
	{"Yangtze Memory Technologies", "YMTC", "长江存储"},
	{"ChangXin Memory Technologies", "CXMT", "长鑫存储"},
	{"Nuctech", "同方威视"},
	{"Hesai Group", "Hesai", "禾赛"},
	{"Quectel Wireless Solutions", "Quectel", "移远通信"},
	{"BGI Genomics", "BGI", "华大基因"},
	{"Tencent Holdings", "Tencent", "腾讯"},
	{"Alibaba Group", "Alibaba", "阿里巴巴"},
	{"Xiaomi Corporation", "Xiaomi", "小米"},
	{"Lenovo Group", "Lenovo", "联想"},
	{"ByteDance", "字节跳动"},
	{"Yitu Technology", "Yitu", "依图"},
	{"CloudWalk Technology", "CloudWalk", "云从科技"},
	{"Leon Technology"},
	{"Netposa Technologies", "Netposa", "东方网力"},
	{"Xiamen Meiya Pico", "Meiya Pico", "美亚柏科"},
	{"Aviation Industry Corporation of China", "AVIC", "中航工业"},
	{"China Electronics Technology Group", "CETC", "中国电科"},
	{"Norinco", "China North Industries", "北方工业"},
	{"Fujian Jinhua Integrated Circuit", "JHICC", "福建晋华"},
}

var exampleWords = strings.Fields(`the a of and to in for on with by from that this said report
	company government export control list entity rule department commerce added would also which
	technology security national market share percent year month week official statement trade
	semiconductor equipment supply chain network camera surveillance contract license shipment`)

// exampleText is about 20 KB of English sentences naming an entity now and then, and a Chinese
// paragraph.
func exampleText() string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 19_000 {
		n := 8 + rng.IntN(20)
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			if rng.IntN(60) == 0 {
				w := exampleWatches[rng.IntN(len(exampleWatches))]
				b.WriteString(w[rng.IntN(len(w))])
				continue
			}
			b.WriteString(exampleWords[rng.IntN(len(exampleWords))])
		}
		b.WriteString(". ")
		if rng.IntN(8) == 0 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n美国商务部将海康威视、大华股份和科大讯飞等公司列入实体清单。中芯国际表示将继续遵守法律。")
	return b.String()
}
